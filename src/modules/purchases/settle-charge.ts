import { getItemForPurchase, returnStock, type CatalogItem } from '../catalog/index.js';
import { forgetSaleAccounts, keepSaleAccounts, knownSaleAccounts, saleFee } from '../ledger/index.js';
import { signReceipt } from '../receipts/index.js';
import {
  enqueuedInOrder,
  notifyEvents,
  outboxBatch,
  publishPurchaseUpdate,
  type EnqueueEventInput,
  type OutboxBatch,
  type OutboxEnqueued,
} from '../webhooks/index.js';
import { recordDecline, releasePurchaseAmount } from '../fraud/index.js';
import { refundWalletSpend } from '../wallet/index.js';
import type { ServiceContext } from '../service-context.js';
import { fulfilment, type SettleGrant } from './fulfil.js';
import { stockHoldUntil } from './stock-holds.js';
import { enqueuePurchaseEvent, purchaseEvent } from './purchase-events.js';
import { findPurchase, updateIfStatus, type PurchaseRow } from './purchase-row.js';
import { assertTransition } from './purchase-state.js';
import { settlePurchase } from './settle-statement.js';

/**
 * What phase 3 commits for a PROCESSING purchase. The acquirer calls that lead to it (a risk void
 * included) were made before, by acquirer-calls.ts: settlement itself calls no one.
 */
export type SettlementOutcome =
  /** Paid: by the card's charge, or (null) by the wallet debit of phase 1. */
  | { readonly kind: 'succeeded'; readonly acquirerChargeId: string | null }
  /** Declined, no charge found by recovery, or given up (`settlement_failed`, with why); a null charge leaves the column as it is. */
  | {
      readonly kind: 'failed';
      readonly declineCode: string;
      readonly acquirerChargeId: string | null;
      readonly failureReason?: string;
    }
  /** The acquirer holds the charge for authentication: back to the player for the CVC. */
  | { readonly kind: 'requires_action'; readonly acquirerChargeId: string }
  /** The acquirer's highest-risk flag: the charge was voided; the purchase fails `risk_blocked`. */
  | { readonly kind: 'risk_blocked'; readonly acquirerChargeId: string }
  /** Elevated risk without the CVC: the charge was voided; the player is asked for it, the next attempt gets a new key. */
  | { readonly kind: 'step_up' };

/** A wallet purchase's success when recovery finishes it: its spend is committed, no acquirer is involved. */
export const PAID_FROM_WALLET: SettlementOutcome = { kind: 'succeeded', acquirerChargeId: null };

/**
 * Phase 3, the one entry point of every path (one tap, confirmation, step-up, recovery, a settlement
 * given up; a wallet purchase settles inside its own statement, wallet_purchase, with what successOf
 * computes, and comes here only when recovery finishes it): commits the outcome for a PROCESSING purchase exactly once (every write is
 * guarded on the PROCESSING status, so a request and the recovery loop cannot both finish it;
 * `purchase` may be a moment old, a lost guard re-reads it). Returns the purchase as it now stands.
 * `item` is the purchased item when the caller has it at hand (saves reading it again).
 */
export async function settleOutcome(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  outcome: SettlementOutcome,
  item?: CatalogItem,
): Promise<PurchaseRow> {
  if (purchase.status !== 'PROCESSING') return purchase;
  switch (outcome.kind) {
    case 'succeeded':
      return succeedPurchase(ctx, purchase, outcome.acquirerChargeId, item);
    case 'failed':
      return failPurchase(ctx, purchase, outcome.declineCode, {
        ...(outcome.acquirerChargeId === null ? {} : { acquirerChargeId: outcome.acquirerChargeId }),
        ...(outcome.failureReason === undefined ? {} : { failureReason: outcome.failureReason }),
      });
    case 'requires_action':
      return requireAction(ctx, purchase, 'acquirer', { acquirerChargeId: outcome.acquirerChargeId });
    case 'risk_blocked':
      return failPurchase(ctx, purchase, 'risk_blocked', {
        acquirerChargeId: outcome.acquirerChargeId,
        riskDecision: 'BLOCK',
        riskRules: [...(purchase.riskRules ?? []), { rule: 'acquirer_highest_risk', value: 1, threshold: 1 }],
        riskScore: 100,
      });
    case 'step_up':
      return requireAction(ctx, purchase, 'risk', {
        acquirerChargeId: null,
        chargeAttempt: purchase.chargeAttempt + 1,
        riskDecision: 'STEP_UP',
        riskRules: [...(purchase.riskRules ?? []), { rule: 'acquirer_elevated_risk', value: 1, threshold: 1 }],
      });
  }
}

/**
 * Commits a success in one statement (settle_purchase, drizzle/0016): status and fee, the sale's
 * posting (card sales), the grant or wallet credit, the receipt and the outbox events, in one implicit
 * transaction, only if the purchase is still PROCESSING (otherwise nothing is written and the row as
 * it stands comes back). The sale's ledger accounts come from this process's memory once known.
 */
async function succeedPurchase(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  acquirerChargeId: string | null,
  itemAtHand?: CatalogItem,
): Promise<PurchaseRow> {
  const { db, clock } = ctx.deps;
  assertTransition('PROCESSING', 'SUCCEEDED');
  const item =
    itemAtHand?.id === purchase.itemId ? itemAtHand : await getItemForPurchase(db, purchase.gameId, purchase.itemId);
  if (!item) throw new Error(`item ${purchase.itemId} of purchase ${purchase.id} is missing`);
  const success = await successOf(ctx, purchase, acquirerChargeId, item, clock.now());
  const isCardSale = purchase.path !== 'wallet';
  const known = isCardSale ? knownSaleAccounts(db, purchase.gameId, purchase.currency) : null;
  let done: Awaited<ReturnType<typeof settlePurchase>>;
  try {
    done = await settlePurchase(db, {
      purchaseId: purchase.id,
      acquirerChargeId,
      succeededAt: success.succeededAt,
      receipt: success.receipt,
      feeMinor: success.feeMinor,
      saleAccounts: known,
      grant: success.grant,
      eventsJson: success.batch.json,
    });
  } catch (error) {
    // Whatever failed, the next attempt (recovery) looks the accounts up again.
    if (known) forgetSaleAccounts(db, purchase.gameId, purchase.currency);
    throw error;
  }
  if (!done) throw new Error(`purchase ${purchase.id} is missing`);
  if (!done.settled) return done.row;
  // Committed: the accounts it used exist for good.
  if (isCardSale && !known && done.saleAccounts)
    keepSaleAccounts(db, purchase.gameId, purchase.currency, done.saleAccounts);
  await afterSuccess(ctx, done.row, success, done.events);
  return done.row;
}

/** What settle_purchase writes for a success, computed before the statement (only TypeScript knows it). */
export interface Success {
  readonly succeededAt: Date;
  /** The signed receipt. */
  readonly receipt: string;
  /** The platform fee of a card sale; null for a wallet purchase (no sale to post). */
  readonly feeMinor: number | null;
  readonly grant: SettleGrant;
  readonly events: readonly EnqueueEventInput[];
  /** The events as outbox_enqueue takes them (the first is the purchase's own). */
  readonly batch: OutboxBatch;
}

/**
 * The success of a PROCESSING purchase as the statement will write it: the receipt, the fee, what is
 * granted and the events (whose payloads are of the row as the statement leaves it; the statement
 * fills in updatedAt).
 */
export async function successOf(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  acquirerChargeId: string | null,
  item: CatalogItem,
  succeededAt: Date,
): Promise<Success> {
  const receipt = await signReceipt(ctx.deps, {
    purchaseId: purchase.id,
    gameId: purchase.gameId,
    playerId: purchase.recipientId,
    buyerId: purchase.playerId,
    itemId: purchase.itemId,
    sku: item.sku,
    quantity: purchase.quantity,
    amountMinor: purchase.amountMinor,
    currency: purchase.currency,
    status: 'SUCCEEDED',
    purchasedAt: succeededAt,
  });
  const feeMinor = purchase.path !== 'wallet' ? saleFee(purchase.amountMinor, purchase.feeBps).fee : null;
  const after: PurchaseRow = {
    ...purchase,
    status: 'SUCCEEDED',
    acquirerChargeId,
    succeededAt,
    receipt,
    feeMinor: feeMinor ?? 0,
    expiresAt: null,
    recoveryLeaseUntil: null,
  };
  const { grant, event } = fulfilment(after, item, succeededAt);
  const events = [purchaseEvent(after, 'succeeded', {}, succeededAt), event];
  return { succeededAt, receipt, feeMinor, grant, events, batch: outboxBatch(events) };
}

/** After a success committed: the metrics, the dispatchers woken, the purchase's subscribers told. */
export async function afterSuccess(
  ctx: ServiceContext,
  row: PurchaseRow,
  success: Success,
  enqueued: readonly OutboxEnqueued[],
): Promise<void> {
  ctx.deps.metrics.purchase('SUCCEEDED', row.path);
  await notifyEvents(ctx.deps, enqueuedInOrder(success.events, success.batch, enqueued));
  await publishPurchaseUpdate(ctx.deps, row.id);
}

/**
 * Commits a failure: status and code, stock given back, outbox event. Also fails a purchase still
 * waiting for the player (a block at confirmation), before any charge.
 */
export async function failPurchase(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  declineCode: string,
  extra: Partial<PurchaseRow> = {},
): Promise<PurchaseRow> {
  const { db, clock } = ctx.deps;
  const done = await db.transaction(async (tx) => {
    const row = await updateIfStatus(tx, purchase.id, ['PROCESSING', 'REQUIRES_CONFIRMATION', 'REQUIRES_ACTION'], {
      ...extra,
      status: 'FAILED',
      declineCode,
      expiresAt: null,
      recoveryLeaseUntil: null,
    });
    if (!row) return null;
    // units whose hold lapsed (a purchase that never reached PROCESSING) were given back already
    if (!row.stockReleased) await returnStock(tx, row.itemId, row.quantity);
    // A wallet purchase is debited in phase 1: failing it afterwards (a settlement given up) gives the
    // currency back, under the purchase's own id so that it happens once.
    if (row.path === 'wallet')
      await refundWalletSpend(tx, {
        gameId: row.gameId,
        playerId: row.playerId,
        currency: row.currency,
        amountMinor: row.amountMinor,
        purchaseId: row.id,
        refundId: row.id,
      });
    return { row, event: await enqueuePurchaseEvent(tx, row, 'failed', {}, clock.now()) };
  });
  if (!done) return (await findPurchase(db, purchase.id)) as PurchaseRow;
  ctx.deps.metrics.purchase('FAILED', done.row.path);
  ctx.deps.metrics.decline(declineCode);
  await notifyEvents(ctx.deps, done.event);
  await publishPurchaseUpdate(ctx.deps, done.row.id);
  await tellFraud(ctx, done.row);
  return done.row;
}

/**
 * Velocity counters learn how it ended: a card decline counts toward card testing; any failure gives
 * the amount back to the daily total. Best effort: the purchase is already settled in the database.
 */
async function tellFraud(ctx: ServiceContext, purchase: PurchaseRow): Promise<void> {
  const cardDecline = !['risk_blocked', 'processing_error', 'settlement_failed'].includes(purchase.declineCode ?? '');
  const input = {
    playerId: purchase.playerId,
    gameId: purchase.gameId,
    purchaseId: purchase.id,
    currency: purchase.currency,
    declineCode: purchase.declineCode,
  };
  try {
    if (cardDecline) await recordDecline(ctx, input);
    else await releasePurchaseAmount(ctx, input);
  } catch (error) {
    ctx.deps.logger.warn({ err: error, purchaseId: purchase.id }, 'could not update fraud counters after a failure');
  }
}

/** Sends a PROCESSING purchase back to the player for the CVC ('acquirer': 3-D Secure-like; 'risk': our step-up). */
async function requireAction(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  reason: 'acquirer' | 'risk',
  extra: Partial<PurchaseRow>,
): Promise<PurchaseRow> {
  const { db, clock, config } = ctx.deps;
  const row = await updateIfStatus(db, purchase.id, 'PROCESSING', {
    ...extra,
    status: 'REQUIRES_ACTION',
    actionReason: reason,
    expiresAt: new Date(clock.now().getTime() + config.PURCHASE_CONFIRMATION_TTL),
    stockHoldUntil: stockHoldUntil(clock.now(), config),
    recoveryLeaseUntil: null,
  });
  if (!row) return (await findPurchase(db, purchase.id)) as PurchaseRow;
  await publishPurchaseUpdate(ctx.deps, row.id);
  return row;
}
