import { and, asc, eq, gt, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { items } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Principal } from '../../shared/principal.js';
import { findGame, type GameRow } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import { withPrices, type CatalogItem } from './item-rows.js';

/**
 * Most items one catalog answer holds, and its default size: the catalog is public (publishable
 * key), so one call must stay small whatever the game sells (100,000 items were 16 MiB and 3.4 s).
 */
export const CATALOG_PAGE_MAX = 500;

/** Which part of the catalog to read: at most `first` items after the item `after` (an item id). */
export interface CatalogPage {
  readonly first?: number | null | undefined;
  readonly after?: string | null | undefined;
}

/** Who may read a game's catalog: its keys, its players' game tokens, its developer, operators. */
function mayReadCatalog(principal: Principal, game: Pick<GameRow, 'id' | 'developerId'>): boolean {
  switch (principal.kind) {
    case 'operator':
      return true;
    case 'developer':
      return principal.developerId === game.developerId;
    case 'game_secret':
    case 'game_publishable':
    case 'player_game':
      return principal.gameId === game.id;
    default:
      return false;
  }
}

/**
 * What a game sells right now: items not archived and inside their availability window at the
 * clock's now, oldest first (ties by id, so the order is stable), at most `first` of them
 * (default and maximum CATALOG_PAGE_MAX) after the item `after`. A game the caller may not read
 * answers NotFound; a player's own session is not a game credential (Forbidden).
 */
export async function getCatalog(ctx: ServiceContext, gameId: string, page: CatalogPage = {}): Promise<CatalogItem[]> {
  const { principal, deps } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind === 'player') throw new ForbiddenError("Read the catalog with the game's key or a game token.");
  const first = page.first ?? CATALOG_PAGE_MAX;
  if (!Number.isInteger(first) || first < 1 || first > CATALOG_PAGE_MAX)
    throw ValidationError.field('first', `must be 1 to ${CATALOG_PAGE_MAX}`);
  const after = page.after ?? null;
  if (after !== null && !isUuid(after)) throw ValidationError.field('after', 'must be an Item id');
  const game = await findGame(deps.db, gameId);
  if (!game || !mayReadCatalog(principal, game)) throw new NotFoundError('Game');
  const now = deps.clock.now();
  const rows = await deps.db
    .select()
    .from(items)
    .where(
      and(
        eq(items.gameId, game.id),
        isNull(items.archivedAt),
        or(isNull(items.availableFrom), lte(items.availableFrom, now)),
        or(isNull(items.availableUntil), gt(items.availableUntil, now)),
        after === null ? undefined : afterItem(deps.db, game.id, after),
      ),
    )
    .orderBy(asc(items.createdAt), asc(items.id))
    .limit(first);
  if (rows.length === 0 && after !== null && !(await isItemOf(ctx, game.id, after))) {
    throw ValidationError.field('after', 'must be an item of this game');
  }
  return withPrices(deps.db, rows);
}

const anchor = alias(items, 'anchor');

/**
 * Rows past the item `itemId` in (createdAt, id) order. Its key is read in SQL, not through a JS
 * Date, so microsecond timestamps cannot repeat or skip rows; it may be archived or out of its
 * window by now and still mark the place. The subqueries run once, so the row comparison is an
 * index condition (items_game_active_idx): the last page of 100,000 costs what the first does.
 * An unknown item matches nothing.
 */
function afterItem(db: Executor, gameId: string, itemId: string): SQL {
  const key = (column: typeof anchor.createdAt | typeof anchor.id) =>
    db
      .select({ key: column })
      .from(anchor)
      .where(and(eq(anchor.id, itemId), eq(anchor.gameId, gameId)));
  return sql`(${items.createdAt}, ${items.id}) > (${key(anchor.createdAt)}, ${key(anchor.id)})`;
}

/** Whether `itemId` is one of the game's items (archived ones too): checked only when a page after it is empty. */
async function isItemOf(ctx: ServiceContext, gameId: string, itemId: string): Promise<boolean> {
  const found = await ctx.deps.db
    .select({ id: items.id })
    .from(items)
    .where(and(eq(items.id, itemId), eq(items.gameId, gameId)))
    .limit(1);
  return found.length > 0;
}
