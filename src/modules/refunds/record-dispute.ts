import { eq } from 'drizzle-orm';
import { disputes } from '../../db/schema/index.js';
import type { Dispute } from '../../shared/acquirer-port.js';
import { isUuid, newId } from '../../shared/ids.js';
import { getSalePosting, postDispute } from '../ledger/index.js';
import {
  assertTransition,
  purchaseEventData,
  findPurchase,
  updateIfStatus,
  REFUNDABLE_STATUSES,
  type PurchaseRow,
} from '../purchases/index.js';
import { enqueueEvent, notifyEvents, publishPurchaseUpdate } from '../webhooks/index.js';
import type { ServiceContext } from '../service-context.js';
import { clawBack } from './claw-back.js';
import { disputedTotal, disputeEventData, refundedTotal, type DisputeRow } from './refund-rows.js';
import { statusAfterReversal } from './settle-refund.js';

export type DisputeRecording =
  /** Recorded now: booked, clawed back, announced. */
  | { readonly outcome: 'recorded'; readonly dispute: DisputeRow; readonly purchase: PurchaseRow }
  /** Recorded before (a redelivery, or the poll and the callback both brought it): nothing changed. */
  | { readonly outcome: 'duplicate'; readonly dispute: DisputeRow }
  /** Not a charge of ours (another deployment on the same merchant account, or a voided attempt): ignored for good. */
  | { readonly outcome: 'unmatched'; readonly reason: string }
  /** The purchase has not settled yet: ask again later (the callback answers 503, the poll stops here). */
  | { readonly outcome: 'retry'; readonly reason: string };

/** The purchase id inside a charge's idempotency key: the purchase id, or `id:N` for a later attempt. */
export function purchaseIdOfChargeKey(key: string): string | null {
  const id = key.split(':')[0] ?? '';
  return isUuid(id) ? id : null;
}

/**
 * Records a dispute (chargeback) the acquirer reported, once per acquirer dispute id. It takes back
 * what the acquirer claimed, capped at what refunds and earlier disputes left of the purchase: the
 * ledger books it like a refund of that amount (fee share reversed), the entitlement is clawed back
 * in the same proportion as for a refund, the purchase turns PARTIALLY_REFUNDED or REFUNDED by
 * what went back to the card holder, and `purchase.disputed` goes to the outbox.
 */
export async function recordDispute(ctx: ServiceContext, dispute: Dispute): Promise<DisputeRecording> {
  const { db, clock, logger } = ctx.deps;
  const purchaseId = purchaseIdOfChargeKey(dispute.chargeIdempotencyKey);
  const [known] = await db.select().from(disputes).where(eq(disputes.acquirerDisputeId, dispute.disputeId)).limit(1);
  if (known) return { outcome: 'duplicate', dispute: known };
  const found = purchaseId ? await findPurchase(db, purchaseId) : null;
  if (!found) return { outcome: 'unmatched', reason: 'no purchase has this charge' };
  if (found.path === 'wallet') return { outcome: 'unmatched', reason: 'a wallet purchase has no charge' };
  if (found.acquirerChargeId !== null && found.acquirerChargeId !== dispute.chargeId) {
    return { outcome: 'unmatched', reason: "the charge is not the purchase's settled charge" };
  }
  if (dispute.currency !== found.currency) return { outcome: 'unmatched', reason: `currency ${dispute.currency} differs from the purchase's` };

  const at = clock.now();
  const done = await db.transaction(async (tx) => {
    const purchase = (await findPurchase(tx, found.id, true))!;
    const [again] = await tx.select().from(disputes).where(eq(disputes.acquirerDisputeId, dispute.disputeId)).limit(1);
    if (again) return { outcome: 'duplicate' as const, dispute: again };
    if (!['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(purchase.status)) {
      return { outcome: 'retry' as const, reason: `the purchase is ${purchase.status}` };
    }
    const disputedBefore = await disputedTotal(tx, purchase.id);
    // Refunds reserved (pending) count as given back: they go through, and the card holder is not paid twice.
    const left = Math.max(0, purchase.amountMinor - purchase.refundedMinor - disputedBefore);
    const amount = Math.min(dispute.amountMinor, left);
    const [row] = await tx
      .insert(disputes)
      .values({
        id: newId(),
        purchaseId: purchase.id,
        gameId: purchase.gameId,
        acquirerDisputeId: dispute.disputeId,
        acquirerChargeId: dispute.chargeId,
        amountMinor: amount,
        acquirerAmountMinor: dispute.amountMinor,
        currency: dispute.currency,
        reason: dispute.reason.slice(0, 200),
        raisedAt: dispute.createdAt,
        createdAt: at,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      const [other] = await tx.select().from(disputes).where(eq(disputes.acquirerDisputeId, dispute.disputeId)).limit(1);
      return { outcome: 'duplicate' as const, dispute: other! };
    }

    let current = purchase;
    let recorded = row;
    const clawback = { units: 0, unitsKept: 0, currency: '0', currencyKept: '0' };
    if (amount > 0) {
      const sale = await getSalePosting(tx, purchase.id);
      if (!sale) throw new Error(`purchase ${purchase.id} has no posted sale to dispute`);
      const posted = await postDispute(tx, {
        purchaseId: purchase.id,
        disputeId: row.id,
        gameId: purchase.gameId,
        disputedMinor: amount,
        currency: purchase.currency,
        saleAmountMinor: sale.amountMinor,
        saleFeeMinor: sale.feeMinor,
        at,
      });
      [recorded] = (await tx.update(disputes).set({ feeReturnedMinor: posted.feeReturnedMinor }).where(eq(disputes.id, row.id)).returning()) as [DisputeRow];
      const before = (await refundedTotal(tx, purchase.id)) + disputedBefore;
      const clawed = await clawBack(tx, purchase, before, before + amount, { disputeId: row.id }, at);
      Object.assign(clawback, {
        units: clawed.unitsTaken,
        unitsKept: clawed.unitsAsked - clawed.unitsTaken,
        currency: String(clawed.currencyTaken),
        currencyKept: String(clawed.currencyAsked - clawed.currencyTaken),
      });
      const status = statusAfterReversal(purchase, before + amount);
      if (status !== purchase.status) {
        assertTransition(purchase.status, status);
        current = (await updateIfStatus(tx, purchase.id, REFUNDABLE_STATUSES, { status })) ?? purchase;
      }
    }
    // purchase.disputed with the purchase's facts, what went back and what was clawed back.
    const event = await enqueueEvent(tx, {
      gameId: current.gameId,
      type: 'purchase.disputed',
      aggregateId: current.id,
      occurredAt: at,
      data: {
        ...purchaseEventData(current),
        dispute: { ...disputeEventData(recorded), feeReturned: String(recorded.feeReturnedMinor) },
        clawback,
      },
    });
    return { outcome: 'recorded' as const, dispute: recorded, purchase: current, event };
  });
  if (done.outcome !== 'recorded') return done;
  logger.info({ disputeId: done.dispute.id, acquirerDisputeId: dispute.disputeId, purchaseId: found.id, amountMinor: done.dispute.amountMinor }, 'dispute recorded');
  await publishPurchaseUpdate(ctx.deps, done.purchase.id, done.purchase.status);
  await notifyEvents(ctx.deps, done.event);
  return { outcome: 'recorded', dispute: done.dispute, purchase: done.purchase };
}
