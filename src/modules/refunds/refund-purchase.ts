import { z } from 'zod';
import { refunds } from '../../db/schema/index.js';
import { AcquirerRejectedError, AcquirerUnavailableError } from '../../shared/acquirer-port.js';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidStateError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '../../shared/errors.js';
import { isUuid, newId } from '../../shared/ids.js';
import { principalKey, type Principal } from '../../shared/principal.js';
import { moneyInput, text } from '../../shared/validation.js';
import { assertIdempotencyKey } from '../idempotency/index.js';
import { findPurchase, remaining, reserveRefund, REFUNDABLE_STATUSES, type PurchaseRow } from '../purchases/index.js';
import { publishPurchaseUpdate } from '../webhooks/index.js';
import type { ServiceContext } from '../service-context.js';
import { RefundExceedsRemainingError, RefundRejectedError } from './errors.js';
import { disputedTotal, findRefund, findRefundByKey, type RefundRow } from './refund-rows.js';
import { failRefund, notePendingAttempt, settleRefund, type RefundOutcome } from './settle-refund.js';

/** refundPurchase's input as the boundary parses it (parseInput): the amount is Money, the reason trimmed. */
export const refundPurchaseInput = z.object({
  purchaseId: z.string(),
  amount: moneyInput().nullish(),
  reason: text(500),
  idempotencyKey: z.string(),
});

export type RefundPurchaseInput = z.output<typeof refundPurchaseInput>;

/** Refunds are for the game's server (secret key) and operators. */
function requireRefunder(ctx: ServiceContext): Extract<Principal, { kind: 'game_secret' | 'operator' }> {
  const { principal } = ctx;
  if (principal.kind === 'game_secret' || principal.kind === 'operator') return principal;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError("Refunds are made with the game's secret key or by an operator.");
}

/** Thrown inside phase 1 to roll back the reservation when the idempotency key turned out to be taken. */
class KeyTaken extends Error {}

/**
 * Refunds a purchase, fully (no amount: everything left) or in part, never more than is left of it
 * (paid − refunded or reserved − disputed → RefundExceedsRemaining). Three atomic phases: (1) the
 * amount is reserved on the purchase by one guarded UPDATE and a pending refund is written; (2) the
 * acquirer refunds with the refund id as its idempotency key, outside any transaction; (3) the
 * outcome commits with its ledger postings, the entitlement clawed back and an outbox event. A
 * transient acquirer failure leaves the refund pending for the recovery loop; a refusal fails it
 * and frees the amount. Once per (purchase, idempotency key): a repeat answers the same refund.
 * A wallet purchase gets its currency back without the acquirer.
 */
export async function refundPurchase(ctx: ServiceContext, input: RefundPurchaseInput): Promise<RefundOutcome> {
  const principal = requireRefunder(ctx);
  assertIdempotencyKey(input.idempotencyKey);
  const { db, clock } = ctx.deps;
  const found = isUuid(input.purchaseId) ? await findPurchase(db, input.purchaseId) : null;
  if (!found || (principal.kind === 'game_secret' && principal.gameId !== found.gameId))
    throw new NotFoundError('Purchase');
  let requested: number | null = null;
  if (input.amount) {
    if (input.amount.currency !== found.currency)
      throw ValidationError.field('input.amount.currency', `must be ${found.currency}, the purchase's currency`);
    requested = input.amount.amountMinor;
  }
  const ask = { requested, reason: input.reason, key: input.idempotencyKey };

  const earlier = await findRefundByKey(db, found.id, ask.key);
  if (earlier) return replay(ctx, earlier, ask);

  let refund: RefundRow;
  try {
    refund = await db.transaction(async (tx) => {
      const purchase = (await findPurchase(tx, found.id, true))!;
      // Under the row lock: a concurrent request with the same key has committed by now.
      if (await findRefundByKey(tx, purchase.id, ask.key)) throw new KeyTaken();
      const disputed = await disputedTotal(tx, purchase.id);
      const left = remaining(purchase, disputed);
      if (!(REFUNDABLE_STATUSES as readonly string[]).includes(purchase.status)) {
        if (purchase.status === 'REFUNDED')
          throw new RefundExceedsRemainingError({ amountMinor: 0, currency: purchase.currency });
        throw new InvalidStateError(
          `A ${purchase.status.toLowerCase().replace('_', ' ')} purchase cannot be refunded.`,
        );
      }
      const amount = requested ?? left;
      if (amount <= 0 || amount > left)
        throw new RefundExceedsRemainingError({ amountMinor: left, currency: purchase.currency });
      if (!(await reserveRefund(tx, purchase.id, amount, disputed))) {
        throw new RefundExceedsRemainingError({ amountMinor: left, currency: purchase.currency });
      }
      const now = clock.now();
      const [row] = await tx
        .insert(refunds)
        .values({
          id: newId(),
          purchaseId: purchase.id,
          gameId: purchase.gameId,
          amountMinor: amount,
          currency: purchase.currency,
          requestedMinor: requested,
          reason: ask.reason,
          status: 'pending',
          idempotencyKey: ask.key,
          requestedBy: principalKey(principal),
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new KeyTaken();
      return row;
    });
  } catch (error) {
    if (!(error instanceof KeyTaken)) throw error;
    return replay(ctx, (await findRefundByKey(db, found.id, ask.key))!, ask);
  }
  // The reservation is visible at once (refunded includes it); the outcome follows.
  ctx.deps.metrics.refund('requested');
  await publishPurchaseUpdate(ctx.deps, refund.purchaseId);
  return driveRefund(ctx, refund, true);
}

/** A repeat of the same refund request: the same refund, carried on if still pending; other arguments → IdempotencyKeyReused. */
async function replay(
  ctx: ServiceContext,
  refund: RefundRow,
  ask: { requested: number | null; reason: string },
): Promise<RefundOutcome> {
  if (refund.requestedMinor !== ask.requested || refund.reason !== ask.reason) throw new IdempotencyKeyReusedError();
  if (refund.status === 'pending') return driveRefund(ctx, refund, true);
  if (refund.status === 'failed') throw new RefundRejectedError(refund.failureCode ?? 'refused', refund.id);
  const purchase = (await findPurchase(ctx.deps.db, refund.purchaseId)) as PurchaseRow;
  return { purchase, refund };
}

/**
 * Phases 2 and 3 of a pending refund: ask the acquirer (same key every time, so a repeat refunds
 * once) and commit what it answered. Transient failures leave it pending and answer it so;
 * a refusal fails it (and throws RefundRejected when `throwOnRejection`).
 */
export async function driveRefund(
  ctx: ServiceContext,
  refund: RefundRow,
  throwOnRejection: boolean,
): Promise<RefundOutcome> {
  const { db, acquirer, logger } = ctx.deps;
  const purchase = await findPurchase(db, refund.purchaseId);
  if (!purchase) throw new Error(`purchase ${refund.purchaseId} of refund ${refund.id} is missing`);
  if (purchase.path === 'wallet') return settleRefund(ctx, refund.id, null);
  if (!purchase.acquirerChargeId) throw new Error(`card purchase ${purchase.id} has no acquirer charge to refund`);
  try {
    const result = await acquirer.refund({
      chargeId: purchase.acquirerChargeId,
      amountMinor: refund.amountMinor,
      idempotencyKey: refund.id,
    });
    await notePendingAttempt(ctx, refund.id, null);
    return await settleRefund(ctx, refund.id, result.refundId);
  } catch (error) {
    if (error instanceof AcquirerRejectedError) {
      logger.warn({ refundId: refund.id, purchaseId: purchase.id, code: error.code }, 'acquirer refused a refund');
      const failed = await failRefund(ctx, refund.id, error.code);
      if (throwOnRejection) throw new RefundRejectedError(error.code, refund.id);
      return failed;
    }
    if (error instanceof AcquirerUnavailableError) {
      logger.warn(
        { refundId: refund.id, purchaseId: purchase.id, code: error.code },
        'acquirer unavailable for a refund; left pending for recovery',
      );
      await notePendingAttempt(ctx, refund.id, `${error.code}: ${error.message}`);
      return { purchase: (await findPurchase(db, purchase.id))!, refund: (await findRefund(db, refund.id))! };
    }
    throw error;
  }
}
