import { and, asc, eq, gt, isNull, lte, or } from 'drizzle-orm';
import { items } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { findGame, type GameRow } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import { withPrices, type CatalogItem } from './item-rows.js';

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
 * clock's now, oldest first (ties by id, so the order is stable). A game the caller may not read
 * answers NotFound; a player's own session is not a game credential (Forbidden).
 */
export async function getCatalog(ctx: ServiceContext, gameId: string): Promise<CatalogItem[]> {
  const { principal, deps } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind === 'player') throw new ForbiddenError('Read the catalog with the game\'s key or a game token.');
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
      ),
    )
    .orderBy(asc(items.createdAt), asc(items.id));
  return withPrices(deps.db, rows);
}
