import type { Executor } from '../../db/client.js';
import { enqueueEvent, type EnqueuedEvent, type EnqueueEventInput } from '../webhooks/index.js';
import type { PurchaseRow } from './purchase-row.js';
import { refundedSoFar } from './refund-reservation.js';
import { publicId } from '../../shared/public-ids.js';

/** The public facts of a purchase in webhook payloads: public ids (`pur_…`), amounts as strings of minor units, no card data. */
export function purchaseEventData(purchase: PurchaseRow): Record<string, unknown> {
  return {
    id: publicId('Purchase', purchase.id),
    gameId: publicId('Game', purchase.gameId),
    playerId: publicId('Player', purchase.playerId),
    recipientId: publicId('Player', purchase.recipientId),
    itemId: publicId('Item', purchase.itemId),
    quantity: purchase.quantity,
    amount: String(purchase.amountMinor),
    currency: purchase.currency,
    status: purchase.status,
    declineCode: purchase.declineCode,
    refunded: String(refundedSoFar(purchase)),
    refundPending: String(purchase.refundPendingMinor),
    createdAt: purchase.createdAt.toISOString(),
    updatedAt: purchase.updatedAt.toISOString(),
  };
}

type PurchaseEventKind = 'succeeded' | 'failed' | 'refunded' | 'disputed';

/** The outbox event `purchase.<kind>`, to enqueue with others of the same change (enqueueEvents). */
export function purchaseEvent(
  purchase: PurchaseRow,
  kind: PurchaseEventKind,
  extra: Record<string, unknown> = {},
  /** When it happened, from the app's clock (tests move it). */
  occurredAt?: Date,
): EnqueueEventInput {
  return {
    gameId: purchase.gameId,
    type: `purchase.${kind}`,
    aggregateId: purchase.id,
    data: { ...purchaseEventData(purchase), ...extra },
    ...(occurredAt ? { occurredAt } : {}),
  };
}

/** Writes `purchase.<kind>` to the outbox in the caller's transaction; pass the result to notifyEvents after commit. */
export function enqueuePurchaseEvent(
  tx: Executor,
  purchase: PurchaseRow,
  kind: PurchaseEventKind,
  extra: Record<string, unknown> = {},
  occurredAt?: Date,
): Promise<EnqueuedEvent> {
  return enqueueEvent(tx, purchaseEvent(purchase, kind, extra, occurredAt));
}
