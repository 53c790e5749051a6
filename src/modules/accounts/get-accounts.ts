import { and, eq, inArray, or } from 'drizzle-orm';
import { developers, gameAuthorizations, games, players, purchases } from '../../db/schema/index.js';
import type { Principal } from '../../shared/principal.js';
import type { ServiceContext } from '../service-context.js';
import { developerColumns, playerColumns, type DeveloperRow, type PlayerRow } from './account-rows.js';

/** A developer account is read by that developer and by operators only. */
function seesDeveloper(principal: Principal, developerId: string): boolean {
  return principal.kind === 'operator' || (principal.kind === 'developer' && principal.developerId === developerId);
}

/** Developers by id, in the order asked (for dataloaders); null where absent or not the caller's to see. */
export async function getDevelopersByIds(
  ctx: ServiceContext,
  requested: readonly string[],
): Promise<(DeveloperRow | null)[]> {
  const ids = requested.filter((id) => seesDeveloper(ctx.principal, id));
  const rows = ids.length
    ? await ctx.deps.db
        .select(developerColumns)
        .from(developers)
        .where(inArray(developers.id, [...ids]))
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return requested.map((id) => byId.get(id) ?? null);
}

/**
 * A player as a caller sees them: the email is the player's own business, shown to their own session
 * and to operators only (not to games, even one acting for them with a game token).
 */
export type PlayerView = Omit<PlayerRow, 'email'> & { readonly email: string | null };

/** The player as `principal` may see them (a player row read for someone else loses its email). */
export function playerView(principal: Principal, player: PlayerRow): PlayerView {
  const own = principal.kind === 'player' && principal.playerId === player.id;
  return own || principal.kind === 'operator' ? player : { ...player, email: null };
}

/**
 * Which of `ids` the caller may read as a Player: the player themself; a game the player authorized
 * (its game tokens, its secret key, its developer; a revoked authorization still counts, the game
 * keeps its purchases); the other party of a gift (a recipient sees who gave, a buyer whom they gave
 * to); operators. No one else: not anonymous callers, not a publishable key (public by design).
 */
export async function visiblePlayerIds(ctx: ServiceContext, ids: readonly string[]): Promise<Set<string>> {
  const { principal } = ctx;
  const { db } = ctx.deps;
  if (ids.length === 0) return new Set();
  const requested = [...new Set(ids)];
  const authorizedBy = async (gameCondition: ReturnType<typeof eq>) => {
    const rows = await db
      .selectDistinct({ playerId: gameAuthorizations.playerId })
      .from(gameAuthorizations)
      .innerJoin(games, eq(games.id, gameAuthorizations.gameId))
      .where(and(inArray(gameAuthorizations.playerId, requested), gameCondition));
    return rows.map((r) => r.playerId);
  };
  switch (principal.kind) {
    case 'operator':
      return new Set(requested);
    case 'player': {
      const me = principal.playerId;
      const others = requested.filter((id) => id !== me);
      const parties = others.length
        ? await db
            .selectDistinct({ playerId: purchases.playerId, recipientId: purchases.recipientId })
            .from(purchases)
            .where(
              or(
                and(eq(purchases.playerId, me), inArray(purchases.recipientId, others)),
                and(eq(purchases.recipientId, me), inArray(purchases.playerId, others)),
              ),
            )
        : [];
      return new Set([
        ...(requested.includes(me) ? [me] : []),
        ...parties.flatMap((p) => [p.playerId, p.recipientId]).filter((id) => id !== me),
      ]);
    }
    case 'player_game':
    case 'game_secret':
      return new Set(await authorizedBy(eq(games.id, principal.gameId)));
    case 'developer':
      return new Set(await authorizedBy(eq(games.developerId, principal.developerId)));
    default:
      return new Set();
  }
}

/**
 * Players by id, in the order asked (for dataloaders), as the caller may see them; null where absent
 * or not the caller's to see (visiblePlayerIds), so a stranger's id and a missing one look alike.
 */
export async function getPlayersByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(PlayerView | null)[]> {
  const visible = [...(await visiblePlayerIds(ctx, ids))];
  const rows = visible.length
    ? await ctx.deps.db.select(playerColumns).from(players).where(inArray(players.id, visible))
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id);
    return row ? playerView(ctx.principal, row) : null;
  });
}
