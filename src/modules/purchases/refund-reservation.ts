import { and, eq, gte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { purchases } from '../../db/schema/index.js';
import type { PurchaseRow } from './purchase-row.js';

/** Purchases whose money may still be refunded. */
export const REFUNDABLE_STATUSES = ['SUCCEEDED', 'PARTIALLY_REFUNDED'] as const;

/**
 * What neither refunds nor disputes have given back yet: the price less refunds (pending ones
 * included, so a reserved amount is never given twice) and disputes, never below zero. The one
 * place this sum is written in TypeScript; `reserveRefund` checks the same sum in SQL under the
 * row lock, so a refund never passes it even when two race.
 */
export function remaining(
  purchase: Pick<PurchaseRow, 'amountMinor' | 'refundedOrPendingMinor'>,
  disputedMinor: number,
): number {
  return Math.max(0, purchase.amountMinor - purchase.refundedOrPendingMinor - disputedMinor);
}

/** What refunds gave back so far: reserved amounts (pending refunds) are not given back yet. */
export function refundedSoFar(purchase: Pick<PurchaseRow, 'refundedOrPendingMinor' | 'refundPendingMinor'>): number {
  return purchase.refundedOrPendingMinor - purchase.refundPendingMinor;
}

/** What may still be refunded of a purchase: `remaining`, or zero unless its status allows a refund. */
export function refundable(
  purchase: Pick<PurchaseRow, 'amountMinor' | 'refundedOrPendingMinor' | 'status'>,
  disputedMinor: number,
): number {
  return (REFUNDABLE_STATUSES as readonly string[]).includes(purchase.status) ? remaining(purchase, disputedMinor) : 0;
}

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
      refundedOrPendingMinor: sql`${purchases.refundedOrPendingMinor} + ${amountMinor}`,
      refundPendingMinor: sql`${purchases.refundPendingMinor} + ${amountMinor}`,
      updatedAt: sql`date_trunc('milliseconds', now())`,
    })
    .where(
      and(
        eq(purchases.id, purchaseId),
        sql`${purchases.status} in ${REFUNDABLE_STATUSES}`,
        // amountMinor <= remaining(purchase, otherReversedMinor): `remaining` above, checked here under the row lock.
        sql`${purchases.refundedOrPendingMinor} + ${amountMinor} + ${otherReversedMinor} <= ${purchases.amountMinor}`,
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
      refundedOrPendingMinor: sql`${purchases.refundedOrPendingMinor} - ${amountMinor}`,
      refundPendingMinor: lessPending(amountMinor),
      updatedAt: sql`date_trunc('milliseconds', now())`,
    })
    .where(and(eq(purchases.id, purchaseId), gte(purchases.refundedOrPendingMinor, amountMinor)))
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
