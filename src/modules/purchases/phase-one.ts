import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { decodeRow, preparedSql } from '../../db/prepared.js';
import { purchases } from '../../db/schema/index.js';
import { NotFoundError, OutOfStockError } from '../../shared/errors.js';
import { groupCommit } from '../../shared/group-commit.js';
import type { CatalogItem } from '../catalog/index.js';
import {
  alreadyOwned,
  durableOneAtATime,
  maxPerPlayerReached,
  playerLockKeys,
  unconfirmedCapReached,
} from './limits.js';
import type { PurchaseRow } from './purchase-row.js';

/** How purchase_phase_one ended (drizzle/0017_purchase_phase_one.sql says what each means). */
export type PhaseOneOutcome =
  | 'created'
  | 'duplicate'
  | 'out_of_stock'
  | 'item_not_found'
  | 'durable_quantity'
  | 'already_owned'
  | 'max_per_player'
  | 'unconfirmed_cap';

export interface PhaseOneResult {
  readonly outcome: PhaseOneOutcome;
  /**
   * created: the units the item's stock has left after this purchase took its own (null for an item
   * without a stock, or a purchase the rules blocked, drizzle/0024); out_of_stock: the units left;
   * max_per_player: the units counted toward the limit.
   */
  readonly detail: number | null;
  /** created: the new purchase; duplicate: the purchase already made under the key. */
  readonly purchase: PurchaseRow | null;
}

/**
 * The new purchase as phase 1 may write it, whichever status it ends in: the function sets the
 * status, path, decline code and processing time, and keeps `actionReason`, `expiresAt` and
 * `stockHoldUntil` only for a purchase that waits for the player.
 */
export interface PhaseOnePurchase {
  readonly id: string;
  readonly createdAt: Date;
  readonly gameId: string;
  readonly playerId: string;
  readonly recipientId: string;
  readonly itemId: string;
  readonly quantity: number;
  readonly unitPriceMinor: number;
  readonly amountMinor: number;
  readonly currency: string;
  readonly feeBps: number;
  readonly idempotencyKey: string;
  readonly cardId: string;
  readonly riskDecision: 'ALLOW' | 'STEP_UP' | 'BLOCK';
  readonly riskScore: number;
  readonly riskRules: readonly { rule: string; value: number; threshold: number }[];
  /** Why it waits when it is outside the one-tap allowance (confirmationCause). */
  readonly confirmationReason: string;
  readonly expiresAt: Date;
  readonly stockHoldUntil: Date;
}

export interface PhaseOneInput {
  readonly purchase: PhaseOnePurchase;
  /** The purchase's risk event as fraud's riskEventRecord gives it (its purchase id is filled in). */
  readonly riskEvent: Record<string, unknown>;
  readonly item: Pick<CatalogItem, 'kind' | 'maxPerPlayer'>;
  readonly allowance: { oneTapMax: { amountMinor: number; currency: string }; dailyCap: { amountMinor: number } };
  /** PURCHASE_MAX_UNCONFIRMED. */
  readonly maxUnconfirmed: number;
  /** The app's clock: the lapsed holds, the start of today's one-tap total, processing time. */
  readonly now: Date;
}

const placeholder = sql.placeholder;

// The function returns (outcome, detail, purchase); its purchase is spread into the purchase's columns.
const phaseOneStatement = preparedSql(
  'purchases_phase_one',
  sql`select r.outcome as phase_one_outcome, r.detail as phase_one_detail, (r.purchase).*
    from purchase_phase_one(${placeholder('purchase')}::jsonb, ${placeholder('riskEvent')}::jsonb,
      ${placeholder('lockKeys')}::jsonb, ${placeholder('now')}::timestamptz, ${placeholder('dayStart')}::timestamptz,
      ${placeholder('itemKind')}::text, ${placeholder('maxPerPlayer')}::integer, ${placeholder('allowanceCurrency')}::text,
      ${placeholder('oneTapMaxMinor')}::bigint, ${placeholder('dailyCapMinor')}::bigint,
      ${placeholder('maxUnconfirmed')}::integer) as r`,
);

// Several purchases in one statement and one commit (purchase_phase_one_batch, drizzle/0020), each in
// a subtransaction of its own; each answer carries its ordinal in the batch.
const phaseOneManyStatement = preparedSql(
  'purchases_phase_one_many',
  sql`select r.ordinal as phase_one_ordinal, r.error as phase_one_error, r.error_code as phase_one_error_code,
      r.error_constraint as phase_one_error_constraint, r.outcome as phase_one_outcome,
      r.detail as phase_one_detail, (r.purchase).*
    from purchase_phase_one_batch(${placeholder('batch')}::jsonb) as r`,
);

interface PhaseOneRow extends Record<string, unknown> {
  readonly phase_one_outcome: PhaseOneOutcome;
  readonly phase_one_detail: string | number | null;
}

interface PhaseOneManyRow extends PhaseOneRow {
  readonly phase_one_ordinal: number;
  readonly phase_one_error: string | null;
  readonly phase_one_error_code: string | null;
  readonly phase_one_error_constraint: string | null;
}

/** purchase_phase_one's arguments, as JSON values (a batch sends them as one array). */
function phaseOneArguments(input: PhaseOneInput) {
  const { purchase: p, now } = input;
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return {
    purchase: {
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
      card_id: p.cardId,
      risk_decision: p.riskDecision,
      risk_score: p.riskScore,
      risk_rules: p.riskRules,
      action_reason: p.confirmationReason,
      expires_at: p.expiresAt.toISOString(),
      stock_hold_until: p.stockHoldUntil.toISOString(),
    },
    riskEvent: input.riskEvent,
    lockKeys: playerLockKeys(p.gameId, [p.playerId, p.recipientId]),
    now: now.toISOString(),
    dayStart: dayStart.toISOString(),
    itemKind: input.item.kind,
    maxPerPlayer: input.item.maxPerPlayer,
    allowanceCurrency: input.allowance.oneTapMax.currency,
    oneTapMaxMinor: input.allowance.oneTapMax.amountMinor,
    dailyCapMinor: input.allowance.dailyCap.amountMinor,
    maxUnconfirmed: input.maxUnconfirmed,
  };
}

function resultOf(input: PhaseOneInput, row: PhaseOneRow): PhaseOneResult {
  const purchase = row.id === null || row.id === undefined ? null : decodeRow(purchases, row);
  // Its own purchase found under the key: an earlier attempt of this very call committed (a batch
  // whose answer was lost, sent again alone), so this call created it.
  const own = row.phase_one_outcome === 'duplicate' && purchase?.id === input.purchase.id;
  return {
    outcome: own ? 'created' : row.phase_one_outcome,
    detail: row.phase_one_detail === null ? null : Number(row.phase_one_detail),
    purchase,
  };
}

/**
 * Phase 1 of one card purchase as its own statement (one round trip, one implicit transaction): the
 * players' locks, the limits, the one-tap allowance, stock, the purchase and its risk event
 * (drizzle/0017_purchase_phase_one.sql). Run it on the database, not in a transaction.
 */
export async function runPhaseOneStatement(executor: Executor, input: PhaseOneInput): Promise<PhaseOneResult> {
  const args = phaseOneArguments(input);
  const [row] = await phaseOneStatement.execute<PhaseOneRow>(executor, {
    ...args,
    purchase: JSON.stringify(args.purchase),
    riskEvent: JSON.stringify(args.riskEvent),
    lockKeys: JSON.stringify(args.lockKeys),
  });
  if (!row) throw new Error('purchase_phase_one returned no row');
  return resultOf(input, row);
}

/**
 * What purchase_phase_one raised for one purchase of a batch (its subtransaction was rolled back, the
 * others' were not): the message, and the SQLSTATE and constraint as the driver's error carries them.
 */
export class PhaseOneError extends Error {
  constructor(
    purchaseId: string,
    reason: string,
    readonly code?: string,
    readonly constraint?: string,
  ) {
    super(`phase 1 of purchase ${purchaseId} failed: ${reason}`);
    this.name = 'PhaseOneError';
  }
}

/**
 * Phase 1 of several card purchases as one statement and one commit (purchase_phase_one_batch,
 * drizzle/0020), each with its own outcome in the order given: what phase 1 alone answers, or a
 * PhaseOneError when its part raised (nothing of it written). Throws when the statement as a whole failed.
 */
export async function runPhaseOneBatch(
  executor: Executor,
  inputs: readonly PhaseOneInput[],
): Promise<(PhaseOneResult | PhaseOneError)[]> {
  const rows = await phaseOneManyStatement.execute<PhaseOneManyRow>(executor, {
    batch: JSON.stringify(inputs.map(phaseOneArguments)),
  });
  const byOrdinal = new Map(rows.map((row) => [row.phase_one_ordinal, row]));
  return inputs.map((input, i) => {
    const row = byOrdinal.get(i + 1);
    const id = input.purchase.id;
    if (!row) return new PhaseOneError(id, 'no answer from its batch');
    if (row.phase_one_error === null) return resultOf(input, row);
    const { phase_one_error_code: code, phase_one_error_constraint: constraint } = row;
    return new PhaseOneError(id, row.phase_one_error, code ?? undefined, constraint ?? undefined);
  });
}

/**
 * Phase 1 of a card purchase through its database's queue (shared/group-commit.ts, as phase 3's
 * settlePurchase): at once as its own statement when one of 4 slots is free, otherwise with every
 * other purchase that queued meanwhile, as one statement and one commit. Each purchase gets its own
 * outcome; one that raises fails alone. Run it on the database, not in a transaction.
 */
export const runPhaseOne = groupCommit<Executor, PhaseOneInput, PhaseOneResult>({
  maxInFlight: 4,
  maxBatch: 64,
  alone: runPhaseOneStatement,
  together: runPhaseOneBatch,
});

/** The typed error of a refusal, as the checks in TypeScript answer it (limits.ts, catalog's takeStock). */
export function phaseOneRefusal(result: PhaseOneResult, input: Pick<PhaseOneInput, 'item' | 'maxUnconfirmed'>): Error {
  switch (result.outcome) {
    case 'out_of_stock':
      return new OutOfStockError(result.detail ?? 0);
    case 'item_not_found':
      return new NotFoundError('Item');
    case 'durable_quantity':
      return durableOneAtATime();
    case 'already_owned':
      return alreadyOwned();
    case 'max_per_player':
      return maxPerPlayerReached(input.item.maxPerPlayer ?? 0, result.detail ?? 0);
    case 'unconfirmed_cap':
      return unconfirmedCapReached(input.maxUnconfirmed);
    case 'created':
    case 'duplicate':
      throw new Error(`phase 1 ${result.outcome} is not a refusal`);
  }
}

/** Whether an error is the unique violation of a purchase's idempotency key (per game and buyer). */
export function isIdempotencyKeyViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const { code, constraint } = e as { code?: string; constraint?: string };
    if (code === '23505') return constraint === undefined || constraint === 'purchases_idempotency_uq';
  }
  return false;
}
