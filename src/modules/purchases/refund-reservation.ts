import { and, eq, gte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { purchases } from '../../db/schema/index.js';
import type { PurchaseRow } from './purchase-row.js';

/** Purchases whose money may still be refunded. */
export const REFUNDABLE_STATUSES = ['SUCCEEDED', 'PARTIALLY_REFUNDED'] as const;

/**
 * Reserves `amountMinor` of a purchase for a refund in one guarded UPDATE: only while it is
 * refundable and only if refunds so far, this one and `otherReversedMinor` (disputes, read by the
 * caller under the purchase's row lock) stay within the amount paid. Concurrent refunds therefore
 * never exceed the total. Null when the guard refuses (too much, or no longer refundable).
 */
export async function reserveRefund(
  tx: Executor,
  purchaseId: string,
  amountMinor: number,
  otherReversedMinor: number,
): Promise<PurchaseRow | null> {
  const [row] = await tx
    .update(purchases)
    .set({
      refundedMinor: sql`${purchases.refundedMinor} + ${amountMinor}`,
      refundPendingMinor: sql`${purchases.refundPendingMinor} + ${amountMinor}`,
      updatedAt: sql`date_trunc('milliseconds', now())`,
    })
    .where(
      and(
        eq(purchases.id, purchaseId),
        sql`${purchases.status} in ${REFUNDABLE_STATUSES}`,
        sql`${purchases.refundedMinor} + ${amountMinor} + ${otherReversedMinor} <= ${purchases.amountMinor}`,
      ),
    )
    .returning();
  return row ?? null;
}

// A reservation made before refund_pending_minor existed is not in it: floored at zero, not refused.
const lessPending = (amountMinor: number) => sql`greatest(${purchases.refundPendingMinor} - ${amountMinor}, 0)`;

/** Gives a failed refund's reservation back to the purchase (never below zero). */
export async function releaseRefund(
  tx: Executor,
  purchaseId: string,
  amountMinor: number,
): Promise<PurchaseRow | null> {
  const [row] = await tx
    .update(purchases)
    .set({
      refundedMinor: sql`${purchases.refundedMinor} - ${amountMinor}`,
      refundPendingMinor: lessPending(amountMinor),
      updatedAt: sql`date_trunc('milliseconds', now())`,
    })
    .where(and(eq(purchases.id, purchaseId), gte(purchases.refundedMinor, amountMinor)))
    .returning();
  return row ?? null;
}

/** A refund's reservation turns into money given back: no longer pending, still refunded. */
export async function completeRefund(
  tx: Executor,
  purchaseId: string,
  amountMinor: number,
): Promise<PurchaseRow | null> {
  const [row] = await tx
    .update(purchases)
    .set({ refundPendingMinor: lessPending(amountMinor), updatedAt: sql`date_trunc('milliseconds', now())` })
    .where(eq(purchases.id, purchaseId))
    .returning();
  return row ?? null;
}
