import { and, eq, gt, inArray, isNull, lte, or } from 'drizzle-orm';
import { games, items } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { canManageGame, canReadGame, findGame } from '../games/index.js';
import { keysetConditions, keysetOrder, type KeysetPage } from '../../db/keyset.js';
import type { ServiceContext } from '../service-context.js';
import { getItemById } from './item-by-id.js';
import { withPrices, type CatalogItem } from './item-rows.js';

/** Items by id, in the order asked (for dataloaders); null where absent or its game is not visible to the caller. */
export async function getItemsByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(CatalogItem | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  if (wanted.length === 1) {
    // The common case (a purchase's answer names its item): one prepared statement.
    const found = await getItemById(ctx.deps.db, wanted[0]!);
    const item =
      found && canReadGame(ctx.principal, { id: found.item.gameId, developerId: found.developerId })
        ? found.item
        : null;
    return ids.map((id) => (id === item?.id ? item : null));
  }
  const rows = wanted.length
    ? await ctx.deps.db
        .select({ item: items, developerId: games.developerId })
        .from(items)
        .innerJoin(games, eq(games.id, items.gameId))
        .where(inArray(items.id, wanted))
    : [];
  const visible = rows
    .filter((r) => canReadGame(ctx.principal, { id: r.item.gameId, developerId: r.developerId }))
    .map((r) => r.item);
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
