import { and, asc, eq, lt } from 'drizzle-orm';
import type { Transaction } from '../../db/client.js';
import { disputes } from '../../db/schema/index.js';
import { remaining, type PurchaseRow } from '../purchases/index.js';
import type { EnqueuedEvent } from '../webhooks/index.js';
import { bookDispute } from './book-dispute.js';
import { disputedTotal, refundedTotal } from './refund-rows.js';

/**
 * A dispute recorded while a refund was pending was capped at what that refund would leave (so the
 * card holder is not paid twice). When the acquirer then refuses the refund — acquirers do not
 * refund a disputed charge — the money went back through the dispute after all: each capped
 * dispute of the purchase is topped up by what the refused refund freed, up to what the acquirer
 * claimed, and booked, clawed back and announced like the dispute itself. In failRefund's
 * transaction (purchase row locked, reservation released); once per dispute and refused refund.
 */
export async function topUpCappedDisputes(
  tx: Transaction,
  purchase: PurchaseRow,
  refusedRefundId: string,
  at: Date,
): Promise<{ purchase: PurchaseRow; events: EnqueuedEvent[] }> {
  const capped = await tx
    .select()
    .from(disputes)
    .where(and(eq(disputes.purchaseId, purchase.id), lt(disputes.amountMinor, disputes.acquirerAmountMinor)))
    .orderBy(asc(disputes.createdAt), asc(disputes.id));
  const events: EnqueuedEvent[] = [];
  if (capped.length === 0) return { purchase, events };

  let current = purchase;
  let disputed = await disputedTotal(tx, purchase.id);
  const refunded = await refundedTotal(tx, purchase.id);
  for (const dispute of capped) {
    // What neither refunds (succeeded or still reserved) nor disputes have returned yet.
    const left = remaining(current, disputed);
    const amountMinor = Math.min(dispute.acquirerAmountMinor - dispute.amountMinor, left);
    if (amountMinor <= 0) break;
    const booked = await bookDispute(
      tx,
      current,
      dispute,
      {
        amountMinor,
        returnedBefore: refunded + disputed,
        postingKey: `${dispute.id}:after-refund:${refusedRefundId}`,
        at,
      },
      { topUp: { amount: String(amountMinor), refusedRefundId } },
    );
    current = booked.purchase;
    disputed += amountMinor;
    events.push(booked.event);
  }
  return { purchase: current, events };
}
