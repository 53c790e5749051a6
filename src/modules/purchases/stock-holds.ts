import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { purchases } from '../../db/schema/index.js';
import { OutOfStockError } from '../../shared/errors.js';
import { returnStock, takeStock } from '../catalog/index.js';
import { AWAITING_STATUSES } from './purchase-state.js';

const BATCH = 500;

/**
 * When an unconfirmed purchase's stock hold lapses: PURCHASE_STOCK_HOLD from now, never past the
 * confirmation TTL. A purchase waiting for the player holds units only this long, so that nobody can
 * keep a limited stock off sale with purchases they never confirm.
 */
export function stockHoldUntil(now: Date, config: { PURCHASE_STOCK_HOLD: number; PURCHASE_CONFIRMATION_TTL: number }) {
  return new Date(now.getTime() + Math.min(config.PURCHASE_STOCK_HOLD, config.PURCHASE_CONFIRMATION_TTL));
}

/**
 * Gives back the stock of waiting purchases whose hold lapsed (of one item, or of all), marking each
 * released so that its confirmation takes the units again and its cancellation gives nothing back.
 * The update is guarded on the waiting status: a purchase confirmed or canceled meanwhile keeps its
 * own account of the units. Returns how many purchases were released.
 */
export async function releaseLapsedStockHolds(tx: Executor, now: Date, itemId?: string): Promise<number> {
  // A batch at a time; rows another transaction is confirming or canceling are left to it (skip locked).
  const lapsed = tx
    .select({ id: purchases.id })
    .from(purchases)
    .where(
      and(
        sql`${purchases.status} in ${AWAITING_STATUSES}`,
        eq(purchases.stockReleased, false),
        lte(purchases.stockHoldUntil, now),
        itemId ? eq(purchases.itemId, itemId) : undefined,
      ),
    )
    .limit(BATCH)
    .for('update', { skipLocked: true });
  const released = await tx
    .update(purchases)
    .set({ stockReleased: true })
    .where(and(inArray(purchases.id, lapsed), sql`${purchases.status} in ${AWAITING_STATUSES}`))
    .returning({ itemId: purchases.itemId, quantity: purchases.quantity });
  const perItem = new Map<string, number>();
  for (const row of released) perItem.set(row.itemId, (perItem.get(row.itemId) ?? 0) + row.quantity);
  // one item at a time, in a fixed order, so that two sweeps never lock items in opposite orders
  for (const [id, quantity] of [...perItem].sort(([a], [b]) => a.localeCompare(b))) await returnStock(tx, id, quantity);
  return released.length;
}

/**
 * takeStock, and when too few units are left, first gives back the holds of this item that lapsed
 * (the sweep may not have run yet) and tries once more: availability never waits for the sweep.
 */
export async function takeStockReleasingLapsed(
  tx: Executor,
  itemId: string,
  quantity: number,
  now: Date,
): Promise<void> {
  try {
    await takeStock(tx, itemId, quantity);
  } catch (error) {
    if (!(error instanceof OutOfStockError)) throw error;
    if ((await releaseLapsedStockHolds(tx, now, itemId)) === 0) throw error;
    await takeStock(tx, itemId, quantity);
  }
}
