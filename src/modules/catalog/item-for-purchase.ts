import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { preparedStatement } from '../../db/prepared.js';
import { itemPrices, items } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { joinedPrices, toCatalogItem, type CatalogItem } from './item-rows.js';

// One row per price (an item without prices gives one row with null price columns).
const itemWithPrices = preparedStatement((db) =>
  db
    .select({ item: items, currency: itemPrices.currency, amountMinor: itemPrices.amountMinor })
    .from(items)
    .leftJoin(itemPrices, eq(itemPrices.itemId, items.id))
    .where(and(eq(items.id, sql.placeholder('itemId')), eq(items.gameId, sql.placeholder('gameId'))))
    .orderBy(asc(itemPrices.currency))
    .prepare('catalog_item_for_purchase'),
);

/**
 * For the purchases module: the item `itemId` of game `gameId` with its prices, or null when there
 * is no such item in that game. It may be archived or out of its window: check with isOnSale.
 * One prepared statement: every purchase reads it.
 */
export async function getItemForPurchase(db: Database, gameId: string, itemId: string): Promise<CatalogItem | null> {
  if (!isUuid(gameId) || !isUuid(itemId)) return null;
  const rows = await itemWithPrices(db).execute({ itemId, gameId });
  const first = rows[0];
  if (!first) return null;
  return toCatalogItem(first.item, joinedPrices(rows));
}
