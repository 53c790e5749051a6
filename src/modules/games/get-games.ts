import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { gameCurrencies, games } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import { canReadGame, type GameRow } from './access.js';
import type { GameCurrencyRow } from './define-currency.js';
import { keysetConditions, keysetOrder, type KeysetPage } from '../../db/keyset.js';

/** Games by id, in the order asked (for dataloaders); null where absent or not visible to the caller. */
export async function getGamesByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(GameRow | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length ? await ctx.deps.db.select().from(games).where(inArray(games.id, wanted)) : [];
  const byId = new Map(rows.filter((g) => canReadGame(ctx.principal, g)).map((g) => [g.id, g]));
  return ids.map((id) => byId.get(id) ?? null);
}

/**
 * The games the caller may list, oldest first: a developer's own, a game key's own game,
 * every game for an operator; nothing for anyone else.
 */
export async function listGames(ctx: ServiceContext, page: KeysetPage): Promise<GameRow[]> {
  const { principal } = ctx;
  let owner: SQL | undefined;
  if (principal.kind === 'developer') owner = eq(games.developerId, principal.developerId);
  else if (principal.kind === 'game_secret') owner = eq(games.id, principal.gameId);
  else if (principal.kind !== 'operator') return [];
  return ctx.deps.db
    .select()
    .from(games)
    .where(and(owner, ...keysetConditions(games.createdAt, games.id, page)))
    .orderBy(...keysetOrder(games.createdAt, games.id, page))
    .limit(page.limit);
}

/** The virtual currencies of each game asked for, by code (for dataloaders; the caller checks access to the game). */
export async function getCurrenciesByGameIds(
  ctx: ServiceContext,
  gameIds: readonly string[],
): Promise<GameCurrencyRow[][]> {
  const wanted = [...new Set(gameIds.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select()
        .from(gameCurrencies)
        .where(inArray(gameCurrencies.gameId, wanted))
        .orderBy(asc(gameCurrencies.code))
    : [];
  return gameIds.map((id) => rows.filter((r) => r.gameId === id));
}

/** The codes of a game's virtual currencies (for checking prices and grants). */
export async function listCurrencyCodes(executor: Executor, gameId: string): Promise<string[]> {
  if (!isUuid(gameId)) return [];
  const rows = await executor
    .select({ code: gameCurrencies.code })
    .from(gameCurrencies)
    .where(eq(gameCurrencies.gameId, gameId))
    .orderBy(asc(gameCurrencies.code));
  return rows.map((r) => r.code);
}
