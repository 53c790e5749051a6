import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { purchases } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import { cancelAwaiting } from './cancel-purchase.js';
import { AcquirerUnavailableError } from '../../shared/acquirer-port.js';
import { judgeCharge, lookupAttempt } from './acquirer-calls.js';
import { findPurchase, type PurchaseRow } from './purchase-row.js';
import { abandonSettlement, countFailedSettlement, settlementFailureReason } from './settlement-failure.js';
import { PAID_FROM_WALLET, settleOutcome } from './settle-charge.js';
import { releaseLapsedStockHolds } from './stock-holds.js';

const BATCH = 25;

/**
 * Recovery: purchases PROCESSING for longer than the threshold (a crash, a timeout) are claimed
 * with a lease (FOR UPDATE SKIP LOCKED, so instances share the work), looked up at the acquirer by
 * their attempt key, and settled: a charge found is finished, none found fails the purchase. A
 * purchase whose settlement keeps failing is given up after RECOVERY_MAX_ATTEMPTS passes: its charge
 * is voided and it fails `settlement_failed` (see settlement-failure.ts).
 * The acquirer is never called inside a transaction. Returns how many were settled.
 */
export async function recoverPurchases(ctx: ServiceContext): Promise<number> {
  const { db, clock, config } = ctx.deps;
  const now = clock.now();
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: purchases.id })
      .from(purchases)
      .where(
        and(
          eq(purchases.status, 'PROCESSING'),
          lt(purchases.processingAt, new Date(now.getTime() - config.RECOVERY_THRESHOLD)),
          or(isNull(purchases.recoveryLeaseUntil), lt(purchases.recoveryLeaseUntil, now)),
        ),
      )
      .limit(BATCH)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await tx
      .update(purchases)
      .set({ recoveryLeaseUntil: new Date(now.getTime() + config.RECOVERY_THRESHOLD) })
      .where(sql`${purchases.id} in ${ids}`);
    return ids;
  });
  let settled = 0;
  for (const id of claimed) {
    const purchase = await findPurchase(db, id);
    if (purchase?.status !== 'PROCESSING') continue;
    try {
      let done: PurchaseRow;
      if (purchase.recoveryAttempts >= config.RECOVERY_MAX_ATTEMPTS) {
        // Given up on an earlier pass, but the void or the failure did not go through then.
        done = await abandonSettlement(ctx, purchase, purchase.failureReason ?? 'settlement kept failing');
      } else if (purchase.path === 'wallet') {
        // A wallet purchase commits its debit before settling; finishing it needs no outside call.
        done = await settleOutcome(ctx, purchase, PAID_FROM_WALLET);
      } else {
        // A charge found is judged as the request would have (a risk void included); none found fails it.
        const charge = await lookupAttempt(ctx, purchase);
        done = await settleOutcome(ctx, purchase, await judgeCharge(ctx, purchase, charge));
      }
      ctx.deps.metrics.recovery('purchase', done.status);
      settled += 1;
    } catch (error) {
      const gaveUp = await afterFailedPass(ctx, purchase, error);
      ctx.deps.metrics.recovery('purchase', gaveUp ? 'FAILED' : 'retry_later');
      if (gaveUp) settled += 1;
    }
  }
  return settled;
}

/**
 * A pass could not settle the purchase. The acquirer being unreachable is not counted: nothing was
 * learned, and giving up would need the acquirer too. Anything else (settlement itself failing) counts
 * toward RECOVERY_MAX_ATTEMPTS; at the bound the charge is voided and the purchase fails
 * `settlement_failed`. Otherwise it stays PROCESSING with its lease, and the pass after the lease tries
 * again. Returns whether the purchase ended here.
 */
async function afterFailedPass(ctx: ServiceContext, purchase: PurchaseRow, error: unknown): Promise<boolean> {
  const { logger, config } = ctx.deps;
  if (error instanceof AcquirerUnavailableError) {
    logger.warn({ err: error, purchaseId: purchase.id }, 'recovery could not reach the acquirer; trying again later');
    return false;
  }
  if (purchase.recoveryAttempts >= config.RECOVERY_MAX_ATTEMPTS) {
    // Giving up itself failed (the void was refused): counted already; the next pass tries again.
    logger.warn({ err: error, purchaseId: purchase.id }, 'recovery could not give up a purchase yet');
    return false;
  }
  const reason = settlementFailureReason(error);
  try {
    const attempts = await countFailedSettlement(ctx, purchase.id, reason);
    logger.warn(
      { err: error, purchaseId: purchase.id, attempts, maxAttempts: config.RECOVERY_MAX_ATTEMPTS },
      'recovery could not settle a purchase',
    );
    if (attempts === null || attempts < config.RECOVERY_MAX_ATTEMPTS) return false;
    await abandonSettlement(ctx, { ...purchase, recoveryAttempts: attempts }, reason);
    return true;
  } catch (giveUpError) {
    // Left PROCESSING with its lease (and its count): the next pass after the lease gives up again.
    logger.warn({ err: giveUpError, purchaseId: purchase.id }, 'recovery could not give up a purchase yet');
    return false;
  }
}

/**
 * Unconfirmed purchases past their expiry become CANCELED and give their stock back; those whose
 * stock hold lapsed give their units back first (PURCHASE_STOCK_HOLD) and keep waiting.
 */
export async function expirePurchases(ctx: ServiceContext): Promise<number> {
  const { db, clock } = ctx.deps;
  await db.transaction((tx) => releaseLapsedStockHolds(tx, clock.now()));
  const due = await db
    .select()
    .from(purchases)
    .where(
      and(
        sql`${purchases.status} in ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION')`,
        lt(purchases.expiresAt, clock.now()),
      ),
    )
    .limit(BATCH);
  let expired = 0;
  for (const purchase of due) if (await cancelAwaiting(ctx, purchase)) expired += 1;
  return expired;
}
