import { and, eq, ne, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { disputes, refunds } from '../../db/schema/index.js';
import { assertTransition, updateIfStatus, REFUNDABLE_STATUSES, type PurchaseRow } from '../purchases/index.js';
import { publicId } from '../../shared/public-ids.js';

export type RefundRow = typeof refunds.$inferSelect;
export type DisputeRow = typeof disputes.$inferSelect;

export async function findRefund(executor: Executor, id: string): Promise<RefundRow | null> {
  const [row] = await executor.select().from(refunds).where(eq(refunds.id, id)).limit(1);
  return row ?? null;
}

export async function findRefundByKey(
  executor: Executor,
  purchaseId: string,
  idempotencyKey: string,
): Promise<RefundRow | null> {
  const [row] = await executor
    .select()
    .from(refunds)
    .where(and(eq(refunds.purchaseId, purchaseId), eq(refunds.idempotencyKey, idempotencyKey)))
    .limit(1);
  return row ?? null;
}

/** What disputes took back of a purchase (as booked). */
/** What disputes took back, summed from rows already read (a resolver's batch); `disputedTotal` asks the database. */
export function sumDisputed(rows: readonly Pick<DisputeRow, 'amountMinor'>[]): number {
  return rows.reduce((sum, row) => sum + row.amountMinor, 0);
}

export async function disputedTotal(executor: Executor, purchaseId: string): Promise<number> {
  const [row] = await executor
    .select({ total: sql<number>`coalesce(sum(${disputes.amountMinor}), 0)::bigint`.mapWith(Number) })
    .from(disputes)
    .where(eq(disputes.purchaseId, purchaseId));
  return row?.total ?? 0;
}

/** What succeeded refunds returned of a purchase, leaving one refund out (the one being settled). */
export async function refundedTotal(
  executor: Executor,
  purchaseId: string,
  except: string | null = null,
): Promise<number> {
  const [row] = await executor
    .select({ total: sql<number>`coalesce(sum(${refunds.amountMinor}), 0)::bigint`.mapWith(Number) })
    .from(refunds)
    .where(
      and(
        eq(refunds.purchaseId, purchaseId),
        eq(refunds.status, 'succeeded'),
        except ? ne(refunds.id, except) : undefined,
      ),
    );
  return row?.total ?? 0;
}

/** The public facts of a refund in webhook payloads (amounts as strings of minor units). */
export function refundEventData(refund: RefundRow): Record<string, unknown> {
  return {
    id: publicId('Refund', refund.id),
    amount: String(refund.amountMinor),
    currency: refund.currency,
    reason: refund.reason,
    status: refund.status,
    createdAt: refund.createdAt.toISOString(),
  };
}

/** The public facts of a dispute in webhook payloads. */
export function disputeEventData(dispute: DisputeRow): Record<string, unknown> {
  return {
    id: publicId('Dispute', dispute.id),
    acquirerDisputeId: dispute.acquirerDisputeId,
    amount: String(dispute.amountMinor),
    currency: dispute.currency,
    reason: dispute.reason,
    raisedAt: dispute.raisedAt.toISOString(),
  };
}

/**
 * The status a purchase has once `returnedMinor` of it went back to the card holder (succeeded
 * refunds and disputes): REFUNDED when all of it, PARTIALLY_REFUNDED when part, else as it is.
 */
export function statusAfterReversal(purchase: PurchaseRow, returnedMinor: number): PurchaseRow['status'] {
  if (returnedMinor >= purchase.amountMinor) return 'REFUNDED';
  if (returnedMinor > 0) return 'PARTIALLY_REFUNDED';
  return purchase.status;
}

/** Moves the purchase (its row locked by the caller) to statusAfterReversal, if that changes it; returns it as it now stands. */
export async function applyReversalStatus(
  tx: Executor,
  purchase: PurchaseRow,
  returnedMinor: number,
): Promise<PurchaseRow> {
  const status = statusAfterReversal(purchase, returnedMinor);
  if (status === purchase.status) return purchase;
  assertTransition(purchase.status, status);
  return (await updateIfStatus(tx, purchase.id, REFUNDABLE_STATUSES, { status })) ?? purchase;
}
