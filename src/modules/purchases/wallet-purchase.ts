import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { decodeRow, preparedSql } from '../../db/prepared.js';
import { purchases } from '../../db/schema/index.js';
import { InsufficientFundsError } from '../../shared/errors.js';
import type { CatalogItem } from '../catalog/index.js';
import type { OutboxEnqueued } from '../webhooks/index.js';
import type { SettleGrant } from './fulfil.js';
import { playerLockKeys } from './limits.js';
import { phaseOneRefusal, type PhaseOneOutcome, type PhaseOnePurchase } from './phase-one.js';
import type { PurchaseRow } from './purchase-row.js';

/** How wallet_purchase ended (drizzle/0019_wallet_purchase.sql says what each means). */
export type WalletPurchaseOutcome =
  | 'created'
  | 'settle_failed'
  | 'duplicate'
  | 'out_of_stock'
  | 'item_not_found'
  | 'durable_quantity'
  | 'already_owned'
  | 'max_per_player'
  | 'insufficient_funds';

export interface WalletPurchaseResult {
  readonly outcome: WalletPurchaseOutcome;
  /** out_of_stock: the units left; max_per_player: the units counted; insufficient_funds: the balance. */
  readonly detail: number | null;
  /** created: the purchase (SUCCEEDED, or FAILED risk_blocked); settle_failed: PROCESSING; duplicate: the earlier one. */
  readonly purchase: PurchaseRow | null;
  /** created and SUCCEEDED: the events outbox_enqueue wrote. */
  readonly events: readonly OutboxEnqueued[];
  /** settle_failed: why settling failed. */
  readonly error: string | null;
}

/**
 * The new purchase as wallet_purchase inserts it: phase 1's row without what only a card purchase
 * has (the card, and what a purchase waiting for the player keeps); the function sets the status,
 * path and decline code.
 */
export type WalletPurchaseRow = Omit<
  PhaseOnePurchase,
  'cardId' | 'confirmationReason' | 'expiresAt' | 'stockHoldUntil'
>;

export interface WalletPurchaseInput {
  readonly purchase: WalletPurchaseRow;
  /** The purchase's risk event as fraud's riskEventRecord gives it. */
  readonly riskEvent: Record<string, unknown>;
  readonly item: Pick<CatalogItem, 'kind' | 'maxPerPlayer'>;
  /** The app's clock: created, processing and succeeded at; the lapsed holds. */
  readonly now: Date;
  /** What settling it writes (successOf): the receipt, the grant, outbox_enqueue's argument. */
  readonly receipt: string;
  readonly grant: SettleGrant;
  readonly eventsJson: string;
}

const placeholder = sql.placeholder;

// The whole wallet purchase is this one statement (wallet_purchase, drizzle/0019): one round trip and
// one commit. Its purchase (of the purchases type) is spread into the purchase's columns.
const walletPurchaseStatement = preparedSql(
  'purchases_wallet',
  sql`select r.outcome as wallet_outcome, r.detail as wallet_detail, r.events as wallet_events,
      r.error as wallet_error, (r.purchase).*
    from wallet_purchase(${placeholder('purchase')}::jsonb, ${placeholder('riskEvent')}::jsonb,
      ${placeholder('lockKeys')}::jsonb, ${placeholder('now')}::timestamptz, ${placeholder('itemKind')}::text,
      ${placeholder('maxPerPlayer')}::integer, ${placeholder('receipt')}::text, ${placeholder('grant')}::jsonb,
      ${placeholder('events')}::jsonb) as r`,
);

/**
 * A wallet purchase in one round trip (one statement, one implicit transaction): the players' locks,
 * the limits, stock, the spend from the buyer's wallet, the purchase and its risk event, and its
 * settlement (drizzle/0019_wallet_purchase.sql). Run it on the database, not in a transaction.
 */
export async function runWalletPurchase(executor: Executor, input: WalletPurchaseInput): Promise<WalletPurchaseResult> {
  const { purchase: p, now } = input;
  const [row] = await walletPurchaseStatement.execute<Record<string, unknown>>(executor, {
    purchase: JSON.stringify({
      id: p.id,
      // The app's clock, in milliseconds, so keyset cursors (millisecond precision) never split a tie.
      created_at: p.createdAt.toISOString(),
      updated_at: p.createdAt.toISOString(),
      game_id: p.gameId,
      player_id: p.playerId,
      recipient_id: p.recipientId,
      item_id: p.itemId,
      quantity: p.quantity,
      unit_price_minor: p.unitPriceMinor,
      amount_minor: p.amountMinor,
      currency: p.currency,
      fee_bps: p.feeBps,
      idempotency_key: p.idempotencyKey,
      risk_decision: p.riskDecision,
      risk_score: p.riskScore,
      risk_rules: p.riskRules,
    }),
    riskEvent: JSON.stringify(input.riskEvent),
    lockKeys: JSON.stringify(playerLockKeys(p.gameId, [p.playerId, p.recipientId])),
    now: now.toISOString(),
    itemKind: input.item.kind,
    maxPerPlayer: input.item.maxPerPlayer,
    receipt: input.receipt,
    grant: JSON.stringify(input.grant),
    events: input.eventsJson,
  });
  if (!row) throw new Error('wallet_purchase returned no row');
  return {
    outcome: row.wallet_outcome as WalletPurchaseOutcome,
    detail: row.wallet_detail === null ? null : Number(row.wallet_detail),
    purchase: row.id === null || row.id === undefined ? null : decodeRow(purchases, row),
    events: (row.wallet_events as OutboxEnqueued[] | null) ?? [],
    error: (row.wallet_error as string | null) ?? null,
  };
}

/** The typed error of a refusal: the same as the transaction's checks answered (limits, stock, the spend). */
export function walletPurchaseRefusal(
  result: WalletPurchaseResult,
  input: Pick<WalletPurchaseInput, 'item'> & { currency: string },
): Error {
  if (result.outcome === 'insufficient_funds')
    return new InsufficientFundsError({ amountMinor: result.detail ?? 0, currency: input.currency });
  if (result.outcome === 'created' || result.outcome === 'settle_failed' || result.outcome === 'duplicate')
    throw new Error(`wallet purchase ${result.outcome} is not a refusal`);
  const outcome: PhaseOneOutcome = result.outcome;
  return phaseOneRefusal({ outcome, detail: result.detail, purchase: null }, { item: input.item, maxUnconfirmed: 0 });
}
