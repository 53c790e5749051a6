import { asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { preparedStatement } from '../../db/prepared.js';
import { games, itemPrices, items } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { joinedPrices, toCatalogItem, type CatalogItem } from './item-rows.js';

// Every purchase reads its item, and its answer names it again: one prepared statement, one row per
// price (an item without prices gives one row with null price columns).
const itemWithPrices = preparedStatement((db) =>
  db
    .select({
      item: items,
      developerId: games.developerId,
      currency: itemPrices.currency,
      amountMinor: itemPrices.amountMinor,
    })
    .from(items)
    .innerJoin(games, eq(games.id, items.gameId))
    .leftJoin(itemPrices, eq(itemPrices.itemId, items.id))
    .where(eq(items.id, sql.placeholder('id')))
    .orderBy(asc(itemPrices.currency))
    .prepare('catalog_item_by_id'),
);

/** One item with its prices and its game's developer (for access checks), or null; no access check here. */
export async function getItemById(
  db: Database,
  itemId: string,
): Promise<{ item: CatalogItem; developerId: string } | null> {
  if (!isUuid(itemId)) return null;
  const rows = await itemWithPrices(db).execute({ id: itemId });
  const first = rows[0];
  return first ? { item: toCatalogItem(first.item, joinedPrices(rows)), developerId: first.developerId } : null;
}

/**
 * For the purchases module: the item `itemId` of game `gameId` with its prices, or null when there
 * is no such item in that game. It may be archived or out of its window: check with isOnSale.
 */
export async function getItemForPurchase(db: Database, gameId: string, itemId: string): Promise<CatalogItem | null> {
  const found = await getItemById(db, itemId);
  return found?.item.gameId === gameId ? found.item : null;
}
