import { z } from 'zod';
import { InvalidStateError, NotFoundError } from '../../shared/errors.js';
import { returnStock } from '../catalog/index.js';
import { publishPurchaseUpdate } from '../webhooks/index.js';
import { releasePurchaseAmount } from '../fraud/index.js';
import type { ServiceContext } from '../service-context.js';
import { requireBuyer } from './access.js';
import { voidHeldCharge } from './acquirer-calls.js';
import { findPurchase, updateIfStatus, type PurchaseRow } from './purchase-row.js';
import { AWAITING_STATUSES } from './purchase-state.js';

/** cancelPurchase's input as the boundary parses it (parseInput). */
export const cancelPurchaseInput = z.object({ purchaseId: z.uuid('must be a purchase id') });

export type CancelPurchaseInput = z.output<typeof cancelPurchaseInput>;

/** The buyer (pay sheet or game) cancels a purchase that still waits for them; its stock goes back. */
export async function cancelPurchase(ctx: ServiceContext, input: CancelPurchaseInput): Promise<PurchaseRow> {
  const purchase = await findPurchase(ctx.deps.db, input.purchaseId);
  if (!purchase) throw new NotFoundError('Purchase');
  requireBuyer(ctx, purchase, true);
  if (purchase.status === 'CANCELED') return purchase;
  if (!AWAITING_STATUSES.includes(purchase.status)) {
    throw new InvalidStateError(`This purchase is ${purchase.status.toLowerCase()} and can no longer be canceled.`);
  }
  return (await cancelAwaiting(ctx, purchase)) ?? ((await findPurchase(ctx.deps.db, purchase.id)) as PurchaseRow);
}

/** Cancels a purchase waiting in the pay sheet (by the buyer, or on expiry); null if it moved on meanwhile. */
export async function cancelAwaiting(ctx: ServiceContext, purchase: PurchaseRow): Promise<PurchaseRow | null> {
  const { db, logger } = ctx.deps;
  const canceled = await db.transaction(async (tx) => {
    const row = await updateIfStatus(tx, purchase.id, AWAITING_STATUSES, { status: 'CANCELED', expiresAt: null });
    // units whose hold lapsed were given back already
    if (row && !row.stockReleased) await returnStock(tx, row.itemId, row.quantity);
    return row;
  });
  if (!canceled) return null;
  ctx.deps.metrics.purchase('CANCELED', canceled.path);
  if (canceled.acquirerChargeId && canceled.actionReason === 'acquirer') {
    // A charge held for authentication took no money; cancel it at the acquirer too (best effort).
    await voidHeldCharge(ctx, canceled).catch((error: unknown) =>
      logger.warn({ err: error, purchaseId: canceled.id }, 'could not cancel the held charge'),
    );
  }
  await publishPurchaseUpdate(ctx.deps, canceled.id);
  await releasePurchaseAmount(ctx, {
    playerId: canceled.playerId,
    purchaseId: canceled.id,
    currency: canceled.currency,
  }).catch((error: unknown) =>
    logger.warn({ err: error, purchaseId: canceled.id }, 'could not give the amount back to the daily total'),
  );
  return canceled;
}
