import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
import { items } from '../../db/schema/index.js';
import { NotFoundError, OutOfStockError } from '../../shared/errors.js';

function assertQuantity(quantity: number): void {
  if (!Number.isSafeInteger(quantity) || quantity <= 0)
    throw new RangeError(`quantity must be a positive integer, got ${quantity}`);
}

// One round trip: the guarded update, and beside it the item as the statement began (tells
// unlimited from too few when the update takes nothing; unlimited is the common case). Every card
// purchase runs it: prepared.
const takeStockStatement = preparedSql(
  'catalog_take_stock',
  sql`
    with taken as (
      update ${items} set stock = stock - ${sql.placeholder('quantity')}
      where id = ${sql.placeholder('itemId')} and stock >= ${sql.placeholder('quantity')}
      returning stock
    )
    select (select stock from taken) as taken, exists (select 1 from ${items} where id = ${sql.placeholder('itemId')}) as found,
           (select stock from ${items} where id = ${sql.placeholder('itemId')}) as stock`,
);

/**
 * Takes `quantity` units of an item's stock in one atomic statement (never below zero, even under
 * concurrent purchases) and returns what is left; null stock is unlimited and is not touched (no
 * row lock for unlimited items). Throws OutOfStockError with the units left when there are too few,
 * NotFoundError when the item does not exist. Run it in the purchase's transaction.
 */
export async function takeStock(tx: Executor, itemId: string, quantity: number): Promise<number | null> {
  assertQuantity(quantity);
  const [row] = await takeStockStatement.execute<{ taken: number | null; found: boolean; stock: number | null }>(tx, {
    itemId,
    quantity,
  });
  if (!row) throw new Error('takeStock: the statement returned no row');
  if (row.taken !== null) return Number(row.taken);
  if (!row.found) throw new NotFoundError('Item');
  if (row.stock === null) return null;
  throw new OutOfStockError(Number(row.stock));
}

/** Gives back units taken by takeStock (a failed or refunded purchase); unlimited items are left alone. */
export async function returnStock(tx: Executor, itemId: string, quantity: number): Promise<void> {
  assertQuantity(quantity);
  await tx
    .update(items)
    .set({ stock: sql`${items.stock} + ${quantity}` })
    .where(and(eq(items.id, itemId), isNotNull(items.stock)));
}
