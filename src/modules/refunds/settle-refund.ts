import { and, eq, sql } from 'drizzle-orm';
import { refunds } from '../../db/schema/index.js';
import { postRefund, getSalePosting } from '../ledger/index.js';
import {
  purchaseEventData,
  findPurchase,
  releaseRefund,
  completeRefund,
  type PurchaseRow,
} from '../purchases/index.js';
import { refundWalletSpend } from '../wallet/index.js';
import { enqueueEvent, notifyEvents, publishPurchaseUpdate } from '../webhooks/index.js';
import type { ServiceContext } from '../service-context.js';
import { clawBack, clawbackEventData } from './claw-back.js';
import {
  applyReversalStatus,
  disputedTotal,
  findRefund,
  refundedTotal,
  refundEventData,
  type RefundRow,
} from './refund-rows.js';
import { topUpCappedDisputes } from './top-up-disputes.js';

export interface RefundOutcome {
  readonly purchase: PurchaseRow;
  readonly refund: RefundRow;
}

/**
 * Phase 3 of a refund the acquirer performed (or of a wallet refund, which needs no acquirer), in
 * one transaction and exactly once (guarded on the refund being pending): the refund succeeds, the
 * ledger books it (real money first: the fee share reversed cumulatively; a wallet purchase gets its
 * currency back), the entitlement is clawed back in proportion, the purchase turns REFUNDED or
 * PARTIALLY_REFUNDED and `purchase.refunded` goes to the outbox. Published after the commit.
 */
export async function settleRefund(
  ctx: ServiceContext,
  refundId: string,
  acquirerRefundId: string | null,
): Promise<RefundOutcome> {
  const { db, clock } = ctx.deps;
  const at = clock.now();
  const done = await db.transaction(async (tx) => {
    const pending = await findRefund(tx, refundId);
    if (!pending) throw new Error(`refund ${refundId} vanished while settling`);
    // The purchase row first, like every refund and dispute, so that they settle one at a time.
    if (!(await findPurchase(tx, pending.purchaseId, true)))
      throw new Error(`purchase ${pending.purchaseId} of refund ${refundId} is missing`);
    const [refund] = await tx
      .update(refunds)
      .set({
        status: 'succeeded',
        acquirerRefundId,
        completedAt: at,
        updatedAt: at,
        recoveryLeaseUntil: null,
        lastError: null,
      })
      .where(and(eq(refunds.id, refundId), eq(refunds.status, 'pending')))
      .returning();
    if (!refund) return null;
    const purchase = (await completeRefund(tx, refund.purchaseId, refund.amountMinor))!;

    const disputed = await disputedTotal(tx, purchase.id);
    const before = (await refundedTotal(tx, purchase.id, refund.id)) + disputed;
    const after = before + refund.amountMinor;
    let feeReturned = 0;
    if (purchase.path === 'wallet') {
      await refundWalletSpend(tx, {
        gameId: purchase.gameId,
        playerId: purchase.playerId,
        currency: purchase.currency,
        amountMinor: refund.amountMinor,
        purchaseId: purchase.id,
        refundId: refund.id,
        at,
      });
    } else {
      const sale = await getSalePosting(tx, purchase.id);
      if (!sale) throw new Error(`purchase ${purchase.id} has no posted sale to refund`);
      const posted = await postRefund(tx, {
        purchaseId: purchase.id,
        refundId: refund.id,
        gameId: purchase.gameId,
        refundMinor: refund.amountMinor,
        currency: purchase.currency,
        saleAmountMinor: sale.amountMinor,
        saleFeeMinor: sale.feeMinor,
        at,
      });
      feeReturned = posted.feeReturnedMinor;
    }
    const clawed = await clawBack(tx, purchase, before, after, { refundId: refund.id }, at);
    const [settled] = await tx
      .update(refunds)
      .set({ feeReturnedMinor: feeReturned })
      .where(eq(refunds.id, refund.id))
      .returning();

    const current = await applyReversalStatus(tx, purchase, after);
    // purchase.refunded with the purchase's facts, what went back and what was clawed back.
    const event = await enqueueEvent(tx, {
      gameId: current.gameId,
      type: 'purchase.refunded',
      aggregateId: current.id,
      occurredAt: at,
      data: {
        ...purchaseEventData(current),
        refund: { ...refundEventData(settled!), feeReturned: String(feeReturned) },
        clawback: clawbackEventData(clawed),
      },
    });
    return { purchase: current, refund: settled!, event };
  });
  if (!done) {
    // Settled already (a retry, or the recovery loop got there first): answer it as it stands.
    const refund = (await findRefund(db, refundId))!;
    return { refund, purchase: (await findPurchase(db, refund.purchaseId))! };
  }
  ctx.deps.metrics.refund('succeeded');
  ctx.deps.metrics.purchase(done.purchase.status, done.purchase.path);
  await publishPurchaseUpdate(ctx.deps, done.purchase.id, done.purchase.status);
  await notifyEvents(ctx.deps, done.event);
  return { purchase: done.purchase, refund: done.refund };
}

/**
 * The acquirer refused a pending refund: it fails and its reservation goes back to the purchase,
 * or to a dispute that was capped because of it (see topUpCappedDisputes). Once.
 */
export async function failRefund(ctx: ServiceContext, refundId: string, failureCode: string): Promise<RefundOutcome> {
  const { db, clock } = ctx.deps;
  const at = clock.now();
  const done = await db.transaction(async (tx) => {
    const pending = await findRefund(tx, refundId);
    if (!pending) throw new Error(`refund ${refundId} vanished while failing`);
    await findPurchase(tx, pending.purchaseId, true);
    const [refund] = await tx
      .update(refunds)
      .set({
        status: 'failed',
        failureCode: failureCode.slice(0, 100),
        completedAt: at,
        updatedAt: at,
        recoveryLeaseUntil: null,
      })
      .where(and(eq(refunds.id, refundId), eq(refunds.status, 'pending')))
      .returning();
    if (!refund) return null;
    const released = await releaseRefund(tx, refund.purchaseId, refund.amountMinor);
    if (!released) throw new Error(`purchase ${refund.purchaseId} holds less reserved than refund ${refund.id}`);
    const toppedUp = await topUpCappedDisputes(tx, released, refund.id, at);
    return { purchase: toppedUp.purchase, refund, events: toppedUp.events };
  });
  if (!done) {
    const refund = (await findRefund(db, refundId))!;
    return { refund, purchase: (await findPurchase(db, refund.purchaseId))! };
  }
  ctx.deps.metrics.refund('failed');
  await publishPurchaseUpdate(ctx.deps, done.purchase.id, done.purchase.status);
  if (done.events.length > 0) await notifyEvents(ctx.deps, done.events);
  return { purchase: done.purchase, refund: done.refund };
}

/** Notes a transient acquirer failure on a pending refund (the recovery loop asks again with the same key). */
export async function notePendingAttempt(ctx: ServiceContext, refundId: string, error: string | null): Promise<void> {
  await ctx.deps.db
    .update(refunds)
    .set({
      attempts: sql`${refunds.attempts} + 1`,
      lastError: error === null ? null : error.slice(0, 500),
      updatedAt: ctx.deps.clock.now(),
    })
    .where(and(eq(refunds.id, refundId), eq(refunds.status, 'pending')));
}
