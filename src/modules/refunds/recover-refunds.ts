import { and, asc, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import { refunds } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import { driveRefund } from './refund-purchase.js';
import { findRefund } from './refund-rows.js';

const BATCH = 25;

/**
 * Recovery of refunds left pending (the acquirer timed out or failed, the process stopped between
 * phases): each is claimed with a lease (FOR UPDATE SKIP LOCKED, so instances share the work) and
 * asked again with the same idempotency key, so the acquirer refunds once; then committed, or
 * failed on a refusal. Those pending for less than RECOVERY_THRESHOLD are left to their request.
 * Returns how many reached an outcome.
 */
export async function recoverRefunds(ctx: ServiceContext): Promise<number> {
  const { db, clock, config, logger } = ctx.deps;
  const now = clock.now();
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: refunds.id })
      .from(refunds)
      .where(
        and(
          eq(refunds.status, 'pending'),
          lt(refunds.updatedAt, new Date(now.getTime() - config.RECOVERY_THRESHOLD)),
          or(isNull(refunds.recoveryLeaseUntil), lt(refunds.recoveryLeaseUntil, now)),
        ),
      )
      .orderBy(asc(refunds.createdAt))
      .limit(BATCH)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await tx
      .update(refunds)
      .set({ recoveryLeaseUntil: new Date(now.getTime() + Math.max(config.RECOVERY_THRESHOLD, 5_000)) })
      .where(inArray(refunds.id, ids));
    return ids;
  });
  let settled = 0;
  for (const id of claimed) {
    const refund = await findRefund(db, id);
    if (refund?.status !== 'pending') continue;
    try {
      const outcome = await driveRefund(ctx, refund, false);
      ctx.deps.metrics.recovery('refund', outcome.refund.status);
      if (outcome.refund.status !== 'pending') settled += 1;
    } catch (error) {
      ctx.deps.metrics.recovery('refund', 'retry_later');
      // Still pending under its lease: the next pass after the lease asks again.
      logger.warn({ err: error, refundId: id }, 'recovery could not settle a refund yet');
    }
  }
  return settled;
}
