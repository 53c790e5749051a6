import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { purchases } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import { cancelAwaiting } from './cancel-purchase.js';
import { attemptKey, findPurchase, type PurchaseRow } from './purchase-row.js';
import { failPurchase, settleCharge, succeedPurchase } from './settle-charge.js';
import { releaseLapsedStockHolds } from './stock-holds.js';

const BATCH = 25;

/**
 * Recovery: purchases PROCESSING for longer than the threshold (a crash, a timeout) are claimed
 * with a lease (FOR UPDATE SKIP LOCKED, so instances share the work), looked up at the acquirer by
 * their attempt key, and settled: a charge found is finished, none found fails the purchase.
 * The acquirer is never called inside a transaction. Returns how many were settled.
 */
export async function recoverPurchases(ctx: ServiceContext): Promise<number> {
  const { db, clock, config, acquirer, logger } = ctx.deps;
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
      if (purchase.path === 'wallet') {
        // A wallet purchase commits its debit before settling; finishing it needs no outside call.
        done = await succeedPurchase(ctx, purchase, null);
      } else {
        const charge = await acquirer.lookupCharge(attemptKey(purchase));
        if (charge) done = await settleCharge(ctx, purchase, charge);
        else done = await failPurchase(ctx, purchase, 'processing_error');
      }
      ctx.deps.metrics.recovery('purchase', done.status);
      settled += 1;
    } catch (error) {
      ctx.deps.metrics.recovery('purchase', 'retry_later');
      // Left PROCESSING with its lease: the next pass after the lease tries again.
      logger.warn({ err: error, purchaseId: id }, 'recovery could not settle a purchase yet');
    }
  }
  return settled;
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
