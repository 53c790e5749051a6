import { eq } from 'drizzle-orm';
import { disputes } from '../../db/schema/index.js';
import type { Dispute } from '../../shared/acquirer-port.js';
import { newId } from '../../shared/ids.js';
import { findPurchase, purchaseIdOfChargeKey, remaining, type PurchaseRow } from '../purchases/index.js';
import { notifyEvents, publishPurchaseUpdate } from '../webhooks/index.js';
import type { ServiceContext } from '../service-context.js';
import { bookDispute } from './book-dispute.js';
import { disputedTotal, refundedTotal, type DisputeRow } from './refund-rows.js';

export type DisputeRecording =
  /** Recorded now: booked, clawed back, announced. */
  | { readonly outcome: 'recorded'; readonly dispute: DisputeRow; readonly purchase: PurchaseRow }
  /** Recorded before (a redelivery, or the poll and the callback both brought it): nothing changed. */
  | { readonly outcome: 'duplicate'; readonly dispute: DisputeRow }
  /** Not a charge of ours (another deployment on the same merchant account, or a voided attempt): ignored for good. */
  | { readonly outcome: 'unmatched'; readonly reason: string }
  /** The purchase has not settled yet: ask again later (the callback answers 503, the poll stops here). */
  | { readonly outcome: 'retry'; readonly reason: string };

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
  if (dispute.currency !== found.currency)
    return { outcome: 'unmatched', reason: `currency ${dispute.currency} differs from the purchase's` };

  const at = clock.now();
  const done = await db.transaction(async (tx) => {
    const purchase = (await findPurchase(tx, found.id, true))!;
    const [again] = await tx.select().from(disputes).where(eq(disputes.acquirerDisputeId, dispute.disputeId)).limit(1);
    if (again) return { outcome: 'duplicate' as const, dispute: again };
    if (!['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(purchase.status)) {
      return { outcome: 'retry' as const, reason: `the purchase is ${purchase.status}` };
    }
    const disputedBefore = await disputedTotal(tx, purchase.id);
    // Refunds reserved (pending) count as given back, so the card holder is not paid twice; if the
    // acquirer then refuses one (it does not refund a disputed charge), failRefund tops this up.
    const left = remaining(purchase, disputedBefore);
    const amount = Math.min(dispute.amountMinor, left);
    const [row] = await tx
      .insert(disputes)
      .values({
        id: newId(),
        purchaseId: purchase.id,
        gameId: purchase.gameId,
        acquirerDisputeId: dispute.disputeId,
        acquirerChargeId: dispute.chargeId,
        amountMinor: 0,
        acquirerAmountMinor: dispute.amountMinor,
        currency: dispute.currency,
        reason: dispute.reason.slice(0, 200),
        raisedAt: dispute.createdAt,
        createdAt: at,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      const [other] = await tx
        .select()
        .from(disputes)
        .where(eq(disputes.acquirerDisputeId, dispute.disputeId))
        .limit(1);
      return { outcome: 'duplicate' as const, dispute: other! };
    }

    const returnedBefore = (await refundedTotal(tx, purchase.id)) + disputedBefore;
    // The row starts at 0 booked; bookDispute adds the amount to it.
    const booked = await bookDispute(tx, purchase, row, {
      amountMinor: amount,
      returnedBefore,
      postingKey: row.id,
      at,
    });
    return { outcome: 'recorded' as const, ...booked };
  });
  if (done.outcome !== 'recorded') return done;
  logger.info(
    {
      disputeId: done.dispute.id,
      acquirerDisputeId: dispute.disputeId,
      purchaseId: found.id,
      amountMinor: done.dispute.amountMinor,
    },
    'dispute recorded',
  );
  ctx.deps.metrics.dispute('recorded');
  await publishPurchaseUpdate(ctx.deps, done.purchase.id, done.purchase.status);
  await notifyEvents(ctx.deps, done.event);
  return { outcome: 'recorded', dispute: done.dispute, purchase: done.purchase };
}
