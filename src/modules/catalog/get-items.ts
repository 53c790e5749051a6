import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { preparedStatement } from '../../db/prepared.js';
import { games, itemPrices, items } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { canManageGame, canReadGame, findGame } from '../games/index.js';
import { keysetConditions, keysetOrder, type KeysetPage } from '../../db/keyset.js';
import type { ServiceContext } from '../service-context.js';
import { joinedPrices, toCatalogItem, withPrices, type CatalogItem } from './item-rows.js';

// A purchase's answer names its item: most loads are of one id, so that case is one prepared statement.
const oneItemWithPrices = preparedStatement((db) =>
  db
    .select({ item: items, developerId: games.developerId, currency: itemPrices.currency, amountMinor: itemPrices.amountMinor })
    .from(items)
    .innerJoin(games, eq(games.id, items.gameId))
    .leftJoin(itemPrices, eq(itemPrices.itemId, items.id))
    .where(eq(items.id, sql.placeholder('id')))
    .orderBy(asc(itemPrices.currency))
    .prepare('catalog_item_by_id'),
);

/** Items by id, in the order asked (for dataloaders); null where absent or its game is not visible to the caller. */
export async function getItemsByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(CatalogItem | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  if (wanted.length === 1) {
    const rows = await oneItemWithPrices(ctx.deps.db).execute({ id: wanted[0]! });
    const first = rows[0];
    const visible = first && canReadGame(ctx.principal, { id: first.item.gameId, developerId: first.developerId });
    const item = visible ? toCatalogItem(first.item, joinedPrices(rows)) : null;
    return ids.map((id) => (id === item?.id ? item : null));
  }
  const rows = wanted.length
    ? await ctx.deps.db
        .select({ item: items, developerId: games.developerId })
        .from(items)
        .innerJoin(games, eq(games.id, items.gameId))
        .where(inArray(items.id, wanted))
    : [];
  const visible = rows.filter((r) => canReadGame(ctx.principal, { id: r.item.gameId, developerId: r.developerId })).map((r) => r.item);
  const byId = new Map((await withPrices(ctx.deps.db, visible)).map((item) => [item.id, item]));
  return ids.map((id) => byId.get(id) ?? null);
}

/**
 * A page of a game's items, oldest first. Those who manage the game see every item, archived and
 * out-of-window ones included; other readers see only what is on sale now; others see nothing.
 */
export async function listGameItems(ctx: ServiceContext, gameId: string, page: KeysetPage): Promise<CatalogItem[]> {
  const game = await findGame(ctx.deps.db, gameId);
  if (!game || !canReadGame(ctx.principal, game)) return [];
  const now = ctx.deps.clock.now();
  const onSaleOnly = canManageGame(ctx.principal, game)
    ? []
    : [
        isNull(items.archivedAt),
        or(isNull(items.availableFrom), lte(items.availableFrom, now)),
        or(isNull(items.availableUntil), gt(items.availableUntil, now)),
      ];
  const rows = await ctx.deps.db
    .select()
    .from(items)
    .where(and(eq(items.gameId, game.id), ...onSaleOnly, ...keysetConditions(items.createdAt, items.id, page)))
    .orderBy(...keysetOrder(items.createdAt, items.id, page))
    .limit(page.limit);
  return withPrices(ctx.deps.db, rows);
}
