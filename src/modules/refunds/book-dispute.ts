import { eq, sql } from 'drizzle-orm';
import type { Transaction } from '../../db/client.js';
import { disputes } from '../../db/schema/index.js';
import { getSalePosting, postDispute } from '../ledger/index.js';
import { purchaseEventData, type PurchaseRow } from '../purchases/index.js';
import { enqueueEvent, type EnqueuedEvent } from '../webhooks/index.js';
import { clawBack, clawbackEventData, type ClawbackResult } from './claw-back.js';
import { applyReversalStatus, disputeEventData, type DisputeRow } from './refund-rows.js';

export interface DisputeBooking {
  readonly dispute: DisputeRow;
  readonly purchase: PurchaseRow;
  readonly event: EnqueuedEvent;
}

/**
 * Books `amountMinor` more of a recorded dispute (its first amount, or a later addition): the ledger
 * reverses that much of the sale (fee share included), the entitlement is clawed back in proportion,
 * the dispute row and the purchase's status follow, and `purchase.disputed` goes to the outbox with
 * the dispute's new total. `returnedBefore` is what refunds and disputes had returned before it.
 * In the caller's transaction, with the purchase row locked; once per `postingKey`.
 */
export async function bookDispute(
  tx: Transaction,
  purchase: PurchaseRow,
  dispute: DisputeRow,
  booking: {
    readonly amountMinor: number;
    readonly returnedBefore: number;
    readonly postingKey: string;
    readonly at: Date;
  },
  extraEventData: Record<string, unknown> = {},
): Promise<DisputeBooking> {
  const { amountMinor, returnedBefore, postingKey, at } = booking;
  let current = purchase;
  let recorded = dispute;
  let clawed: ClawbackResult = { unitsAsked: 0, unitsTaken: 0, currencyAsked: 0, currencyTaken: 0 };
  if (amountMinor > 0) {
    const sale = await getSalePosting(tx, purchase.id);
    if (!sale) throw new Error(`purchase ${purchase.id} has no posted sale to dispute`);
    const posted = await postDispute(tx, {
      purchaseId: purchase.id,
      disputeId: dispute.id,
      gameId: purchase.gameId,
      disputedMinor: amountMinor,
      currency: purchase.currency,
      saleAmountMinor: sale.amountMinor,
      saleFeeMinor: sale.feeMinor,
      at,
      ...(postingKey !== dispute.id ? { postingReference: postingKey } : {}),
    });
    [recorded] = (await tx
      .update(disputes)
      .set({
        amountMinor: sql`${disputes.amountMinor} + ${amountMinor}`,
        feeReturnedMinor: sql`${disputes.feeReturnedMinor} + ${posted.feeReturnedMinor}`,
      })
      .where(eq(disputes.id, dispute.id))
      .returning()) as [DisputeRow];
    const returnedAfter = returnedBefore + amountMinor;
    clawed = await clawBack(
      tx,
      purchase,
      returnedBefore,
      returnedAfter,
      { disputeId: dispute.id, key: postingKey },
      at,
    );
    current = await applyReversalStatus(tx, purchase, returnedAfter);
  }
  // purchase.disputed with the purchase's facts, the dispute as it now stands and what was clawed back.
  const event = await enqueueEvent(tx, {
    gameId: current.gameId,
    type: 'purchase.disputed',
    aggregateId: current.id,
    occurredAt: at,
    data: {
      ...purchaseEventData(current),
      dispute: { ...disputeEventData(recorded), feeReturned: String(recorded.feeReturnedMinor) },
      clawback: clawbackEventData(clawed),
      ...extraEventData,
    },
  });
  return { dispute: recorded, purchase: current, event };
}
