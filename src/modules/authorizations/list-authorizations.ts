import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedStatement, type Param } from '../../db/prepared.js';
import { gameAuthorizations } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { keysetConditions, keysetOrder, type KeysetPage } from '../../db/keyset.js';
import type { ServiceContext } from '../service-context.js';
import { requirePlayerSession, toAuthorization, type GameAuthorization } from './authorization-rows.js';

/** The signed-in player's active authorizations (the games they authorized), oldest first, a keyset page at a time. */
export async function listAuthorizations(ctx: ServiceContext, page: KeysetPage): Promise<GameAuthorization[]> {
  const playerId = requirePlayerSession(ctx);
  const rows = await ctx.deps.db
    .select()
    .from(gameAuthorizations)
    .where(
      and(
        eq(gameAuthorizations.playerId, playerId),
        isNull(gameAuthorizations.revokedAt),
        ...keysetConditions(gameAuthorizations.createdAt, gameAuthorizations.id, page),
      ),
    )
    .orderBy(...keysetOrder(gameAuthorizations.createdAt, gameAuthorizations.id, page))
    .limit(page.limit);
  return rows.map(toAuthorization);
}

/** Authorizations by id for the dataloader of GameAuthorization nodes: only the signed-in player's own; null elsewhere. */
export async function getAuthorizationsByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(GameAuthorization | null)[]> {
  if (ctx.principal.kind !== 'player') return ids.map(() => null);
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select()
        .from(gameAuthorizations)
        .where(and(inArray(gameAuthorizations.id, wanted), eq(gameAuthorizations.playerId, ctx.principal.playerId)))
    : [];
  const byId = new Map(rows.map((r) => [r.id, toAuthorization(r)]));
  return ids.map((id) => byId.get(id) ?? null);
}

const activeAuthorizationQuery = (executor: Executor, playerId: Param<string>, gameId: Param<string>) =>
  executor
    .select()
    .from(gameAuthorizations)
    .where(
      and(
        eq(gameAuthorizations.playerId, playerId),
        eq(gameAuthorizations.gameId, gameId),
        isNull(gameAuthorizations.revokedAt),
      ),
    )
    .limit(1);
// Every purchase reads the buyer's allowance: prepared.
const activeAuthorization = preparedStatement((db) =>
  activeAuthorizationQuery(db, sql.placeholder('playerId'), sql.placeholder('gameId')).prepare(
    'authorizations_active_of_player_game',
  ),
);

/**
 * The player's active (not revoked) authorization of a game, with its one-tap allowance, or null.
 * For purchases: read it in the purchase's transaction; `lock` takes the row lock so that a revoke
 * or an allowance change waits for the purchase (and vice versa).
 */
export async function getActiveAuthorization(
  executor: Executor,
  playerId: string,
  gameId: string,
  options: { lock?: boolean } = {},
): Promise<GameAuthorization | null> {
  if (!isUuid(playerId) || !isUuid(gameId)) return null;
  const [row] = options.lock
    ? await activeAuthorizationQuery(executor, playerId, gameId).for('update')
    : await activeAuthorization(executor).execute({ playerId, gameId });
  return row ? toAuthorization(row) : null;
}
