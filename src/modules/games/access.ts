import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedStatement, type Param } from '../../db/prepared.js';
import { games } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Principal } from '../../shared/principal.js';
import type { ServiceContext } from '../service-context.js';

export type GameRow = typeof games.$inferSelect;

/**
 * Who may read a game's public face (name, currency, catalog items by id): the owning developer,
 * the game's own keys and player tokens, players (the pay sheet names the game) and operators.
 * Another developer may not, and is told "not found" so that existence does not leak.
 */
export function canReadGame(principal: Principal, game: Pick<GameRow, 'id' | 'developerId'>): boolean {
  switch (principal.kind) {
    case 'operator':
    case 'player':
      return true;
    case 'developer':
      return principal.developerId === game.developerId;
    case 'game_secret':
    case 'game_publishable':
    case 'player_game':
      return principal.gameId === game.id;
    case 'anonymous':
    case 'system':
      return false;
  }
}

/** Who may see a game's business settings (fee, webhook, archived items): its developer, its secret key, operators. */
export function canManageGame(principal: Principal, game: Pick<GameRow, 'id' | 'developerId'>): boolean {
  switch (principal.kind) {
    case 'operator':
      return true;
    case 'developer':
      return principal.developerId === game.developerId;
    case 'game_secret':
      return principal.gameId === game.id;
    default:
      return false;
  }
}

/** The calling developer's id; anyone else may not write games or catalogs. */
export function requireDeveloper(ctx: ServiceContext): string {
  const { principal } = ctx;
  if (principal.kind === 'developer') return principal.developerId;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError('Only a developer may change games and catalogs.');
}

const gameQuery = (executor: Executor, id: Param<string>) =>
  executor.select().from(games).where(eq(games.id, id)).limit(1);
const gameById = preparedStatement((db) => gameQuery(db, sql.placeholder('id')).prepare('games_by_id'));

/** A game by id without any access check (callers check), or null; a malformed id is simply absent. */
export async function findGame(executor: Executor, gameId: string, lock = false): Promise<GameRow | null> {
  if (!isUuid(gameId)) return null;
  const [row] = lock
    ? await gameQuery(executor, gameId).for('update')
    : await gameById(executor).execute({ id: gameId });
  return row ?? null;
}

/**
 * Whether the caller sees a game's business figures (a purchase's fee, what a refund or dispute gave
 * back of it): the game's developer, its secret key and operators; never players or game clients.
 * The one home of that rule: purchases and refunds show their fees through it.
 */
export async function seesGameFees(ctx: ServiceContext, gameId: string): Promise<boolean> {
  const { principal } = ctx;
  if (principal.kind === 'operator') return true;
  if (principal.kind === 'game_secret') return principal.gameId === gameId;
  if (principal.kind !== 'developer') return false;
  const game = await findGame(ctx.deps.db, gameId);
  return game !== null && canManageGame(principal, game);
}

/**
 * The calling developer's own game, for a write; someone else's game is NotFound, never Forbidden.
 * `lock` takes the row lock so concurrent writes to the same game queue up.
 */
export async function loadGameForWrite(
  ctx: ServiceContext,
  executor: Executor,
  gameId: string,
  lock = false,
): Promise<GameRow> {
  const developerId = requireDeveloper(ctx);
  if (!isUuid(gameId)) throw new NotFoundError('Game');
  const query = executor
    .select()
    .from(games)
    .where(and(eq(games.id, gameId), eq(games.developerId, developerId)))
    .limit(1);
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new NotFoundError('Game');
  return row;
}
