import { and, eq, sql } from 'drizzle-orm';
import { purchases } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import { voidAttemptCharge } from './acquirer-calls.js';
import type { PurchaseRow } from './purchase-row.js';
import { settleOutcome } from './settle-charge.js';

/** The decline code of a purchase whose settlement kept failing and was given up (its charge voided). */
export const SETTLEMENT_FAILED = 'settlement_failed';

const MAX_REASON_LENGTH = 500;

/**
 * What went wrong, for operators: the innermost cause's name and message, bounded. (A query error's
 * outer message repeats the statement and its parameters, receipt included; the cause is the point.)
 */
export function settlementFailureReason(error: unknown): string {
  let root = error;
  for (let depth = 0; depth < 10 && root instanceof Error && root.cause instanceof Error; depth++) root = root.cause;
  const text =
    root instanceof Error ? `${root.name}: ${root.message}` : `non-error thrown: ${String(root).slice(0, 100)}`;
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}

/**
 * Counts one recovery pass that could not settle a PROCESSING purchase, with why; returns the
 * attempts so far, or null when the purchase is no longer PROCESSING (someone else finished it).
 * One guarded statement, so concurrent passes never lose a count.
 */
export async function countFailedSettlement(
  ctx: ServiceContext,
  purchaseId: string,
  reason: string,
): Promise<number | null> {
  const [row] = await ctx.deps.db
    .update(purchases)
    .set({
      recoveryAttempts: sql`${purchases.recoveryAttempts} + 1`,
      failureReason: reason,
      updatedAt: sql`date_trunc('milliseconds', now())`,
    })
    .where(and(eq(purchases.id, purchaseId), eq(purchases.status, 'PROCESSING')))
    .returning({ attempts: purchases.recoveryAttempts });
  return row?.attempts ?? null;
}

/**
 * Gives up settling a PROCESSING purchase whose phase 3 kept failing for a reason that does not go
 * away: the card charge of its current attempt (if the acquirer has one) is voided — refunded in full,
 * or canceled while it still waits for authentication — under the attempt's one void key, then the
 * purchase ends FAILED with `settlement_failed` and the last reason (stock given back, a wallet debit
 * returned, a `purchase.failed` event and a live update, as for any failure). No sale is posted to
 * the ledger: the purchase never settled.
 *
 * Void first, fail second: if the acquirer cannot be reached the purchase stays PROCESSING and the
 * next pass tries again, so a charge is never left behind a FAILED purchase. Both steps are
 * idempotent (the void key at the acquirer, the status guard here), so concurrent or repeated passes
 * void at most once and fail it once.
 */
export async function abandonSettlement(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  reason: string,
): Promise<PurchaseRow> {
  const { logger } = ctx.deps;
  // A wallet purchase has no charge: failing it gives its debit back.
  const acquirerChargeId = purchase.path === 'wallet' ? null : await voidAttemptCharge(ctx, purchase);
  const failed = await settleOutcome(ctx, purchase, {
    kind: 'failed',
    declineCode: SETTLEMENT_FAILED,
    acquirerChargeId,
    failureReason: reason,
  });
  logger.error(
    { purchaseId: purchase.id, attempts: purchase.recoveryAttempts, reason, status: failed.status },
    'purchase failed: settlement kept failing (listed in failedSettlements for operators)',
  );
  return failed;
}
