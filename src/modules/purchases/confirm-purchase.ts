import { z } from 'zod';
import {
  CardDeclinedError,
  InvalidStateError,
  NotFoundError,
  RiskBlockedError,
  ValidationError,
} from '../../shared/errors.js';
import { getActiveAuthorization } from '../authorizations/index.js';
import { getCardForCharge } from '../cards/index.js';
import { assessPurchase, recordRiskEvent } from '../fraud/index.js';
import { assertIdempotencyKey } from '../idempotency/index.js';
import { publishPurchaseUpdate } from '../webhooks/index.js';
import type { ServiceContext } from '../service-context.js';
import { requireBuyer } from './access.js';
import { cancelAwaiting } from './cancel-purchase.js';
import { voidHeldCharge } from './acquirer-calls.js';
import { chargeAndSettle } from './charge-card.js';
import { findPurchase, updateIfStatus, type PurchaseRow } from './purchase-row.js';
import { failPurchase } from './settle-charge.js';
import { takeStockReleasingLapsed } from './stock-holds.js';

/** confirmPurchase's input as the boundary parses it (parseInput): ids as row ids. */
export const confirmPurchaseInput = z.object({
  purchaseId: z.uuid('must be a purchase id'),
  cardId: z.uuid('must be a card id').nullish(),
  cvc: z
    .string()
    .regex(/^[0-9]{3,4}$/, 'must be 3 or 4 digits')
    .nullish(),
  idempotencyKey: z.string(),
});

export type ConfirmPurchaseInput = z.output<typeof confirmPurchaseInput>;

/**
 * The player confirms a purchase in the pay sheet (player session): REQUIRES_CONFIRMATION is
 * charged (optionally on another card), REQUIRES_ACTION is completed with the CVC.
 */
export async function confirmPurchase(ctx: ServiceContext, input: ConfirmPurchaseInput): Promise<PurchaseRow> {
  assertIdempotencyKey(input.idempotencyKey);
  const { db, clock } = ctx.deps;
  const purchase = await findPurchase(db, input.purchaseId);
  if (!purchase) throw new NotFoundError('Purchase');
  requireBuyer(ctx, purchase, false);

  if (purchase.status === 'SUCCEEDED' || purchase.status === 'PROCESSING') return purchase;
  if (purchase.status !== 'REQUIRES_CONFIRMATION' && purchase.status !== 'REQUIRES_ACTION') {
    throw new InvalidStateError(`This purchase is ${purchase.status.toLowerCase()} and cannot be confirmed.`);
  }
  if (purchase.expiresAt && purchase.expiresAt.getTime() <= clock.now().getTime()) {
    await cancelAwaiting(ctx, purchase);
    throw new InvalidStateError('This purchase expired; start it again from the game.');
  }
  // Revoking a game ends what it started: a purchase the game opened is not charged once the player
  // has disconnected the game, not even through a confirmation in the pay sheet.
  if (!(await getActiveAuthorization(db, purchase.playerId, purchase.gameId))) {
    await cancelAwaiting(ctx, purchase);
    throw new InvalidStateError('You disconnected this game, so this purchase was canceled. Connect the game to buy.');
  }
  if (purchase.status === 'REQUIRES_ACTION' && !input.cvc)
    throw ValidationError.field('input.cvc', 'is required to confirm this purchase');

  const card = await getCardForCharge(db, purchase.playerId, input.cardId ?? null);
  const changedCard = card.cardId !== purchase.cardId;

  // Rules run on every confirmation, the step-up's CVC included (the same purchase is counted once):
  // an operator block or a velocity limit that arrived since it was created stops it here.
  const risk = await assessPurchase(ctx, {
    purchaseId: purchase.id,
    gameId: purchase.gameId,
    playerId: purchase.playerId,
    cardId: card.cardId,
    cardFingerprint: card.fingerprint,
    cardAddedAt: card.createdAt,
    amountMinor: purchase.amountMinor,
    currency: purchase.currency,
    ip: ctx.ip,
    deviceId: null,
  });
  await recordRiskEvent(db, {
    gameId: purchase.gameId,
    playerId: purchase.playerId,
    purchaseId: purchase.id,
    kind: 'purchase',
    ...risk,
  });
  const riskColumns = { riskDecision: risk.decision, riskScore: risk.score, riskRules: [...risk.rulesFired] };

  // A charge the acquirer holds for authentication took no money: it is canceled before a block or another card.
  const pendingAtAcquirer =
    purchase.status === 'REQUIRES_ACTION' && purchase.actionReason === 'acquirer' && purchase.acquirerChargeId !== null;
  if (pendingAtAcquirer && (changedCard || risk.decision === 'BLOCK')) await voidHeldCharge(ctx, purchase);
  if (risk.decision === 'BLOCK') {
    await failPurchase(ctx, purchase, 'risk_blocked', riskColumns);
    throw new RiskBlockedError(
      risk.rulesFired.map((r) => r.rule),
      risk.retryAfterSeconds,
    );
  }
  if (pendingAtAcquirer && !changedCard) {
    const processing = await toProcessing(ctx, purchase, riskColumns);
    if (!processing) return (await findPurchase(db, purchase.id)) as PurchaseRow;
    return settledOrThrow(
      await chargeAndSettle(ctx, processing, card, { cvc: input.cvc ?? undefined, confirmPendingAction: true }),
    );
  }
  const stepUpSatisfied = Boolean(input.cvc);
  if ((risk.decision === 'STEP_UP' || purchase.actionReason === 'risk') && !stepUpSatisfied) {
    const waiting = await updateIfStatus(db, purchase.id, purchase.status, {
      ...riskColumns,
      status: 'REQUIRES_ACTION',
      actionReason: 'risk',
      cardId: card.cardId,
    });
    if (waiting) await publishPurchaseUpdate(ctx.deps, waiting.id);
    return waiting ?? ((await findPurchase(db, purchase.id)) as PurchaseRow);
  }
  // A charge already made under the current attempt key (then voided) must not be reused: next key.
  const newAttempt = purchase.acquirerChargeId !== null;
  const processing = await toProcessing(ctx, purchase, {
    ...riskColumns,
    cardId: card.cardId,
    attemptWithCvc: stepUpSatisfied,
    ...(newAttempt ? { chargeAttempt: purchase.chargeAttempt + 1, acquirerChargeId: null } : {}),
  });
  if (!processing) return (await findPurchase(db, purchase.id)) as PurchaseRow;
  return settledOrThrow(await chargeAndSettle(ctx, processing, card, { cvc: input.cvc ?? undefined }));
}

/**
 * Moves a confirmed purchase to PROCESSING (phase 1 of its charge). A purchase whose stock hold lapsed
 * and was given back takes the units again in the same transaction, or answers OutOfStock and waits on.
 */
async function toProcessing(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  values: Partial<PurchaseRow>,
): Promise<PurchaseRow | null> {
  const { db, clock } = ctx.deps;
  const now = clock.now();
  const moved = {
    ...values,
    status: 'PROCESSING' as const,
    processingAt: now,
    expiresAt: null,
    stockHoldUntil: null,
    stockReleased: false,
  };
  // The row is locked first: the stock-hold sweep cannot release the units between this read and the move.
  const row = await db.transaction(async (tx) => {
    const current = await findPurchase(tx, purchase.id, true);
    if (current?.status !== purchase.status) return null;
    const processing = await updateIfStatus(tx, purchase.id, purchase.status, moved);
    if (processing && current.stockReleased)
      await takeStockReleasingLapsed(tx, processing.itemId, processing.quantity, now);
    return processing;
  });
  if (row) await publishPurchaseUpdate(ctx.deps, row.id);
  return row;
}

/** A confirmation that ends declined answers with CardDeclined (the purchase stays readable as FAILED). */
function settledOrThrow(purchase: PurchaseRow): PurchaseRow {
  if (purchase.status !== 'FAILED') return purchase;
  if (purchase.declineCode === 'risk_blocked')
    throw new RiskBlockedError(
      (purchase.riskRules ?? []).map((r) => r.rule),
      null,
    );
  throw new CardDeclinedError(purchase.declineCode ?? 'generic_decline', purchase.id);
}
