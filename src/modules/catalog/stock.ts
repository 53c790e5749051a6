import { and, eq, gte, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { items } from '../../db/schema/index.js';
import { NotFoundError, OutOfStockError } from '../../shared/errors.js';

function assertQuantity(quantity: number): void {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new RangeError(`quantity must be a positive integer, got ${quantity}`);
}

/**
 * Takes `quantity` units of an item's stock in one atomic statement (never below zero, even under
 * concurrent purchases) and returns what is left; null stock is unlimited and is not touched (no
 * row lock for unlimited items). Throws OutOfStockError with the units left when there are too few,
 * NotFoundError when the item does not exist. Run it in the purchase's transaction.
 */
export async function takeStock(tx: Executor, itemId: string, quantity: number): Promise<number | null> {
  assertQuantity(quantity);
  const [taken] = await tx
    .update(items)
    .set({ stock: sql`${items.stock} - ${quantity}` })
    .where(and(eq(items.id, itemId), gte(items.stock, quantity)))
    .returning({ stock: items.stock });
  if (taken) return taken.stock;
  const [item] = await tx.select({ stock: items.stock }).from(items).where(eq(items.id, itemId)).limit(1);
  if (!item) throw new NotFoundError('Item');
  if (item.stock === null) return null;
  throw new OutOfStockError(item.stock);
}

/** Gives back units taken by takeStock (a failed or refunded purchase); unlimited items are left alone. */
export async function returnStock(tx: Executor, itemId: string, quantity: number): Promise<void> {
  assertQuantity(quantity);
  await tx
    .update(items)
    .set({ stock: sql`${items.stock} + ${quantity}` })
    .where(and(eq(items.id, itemId), isNotNull(items.stock)));
}
