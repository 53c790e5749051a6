import { inArray } from 'drizzle-orm';
import { developers, players } from '../../db/schema/index.js';
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

/** Players by id, in the order asked (for dataloaders), as the caller may see them; null where absent. */
export async function getPlayersByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(PlayerView | null)[]> {
  const rows = ids.length
    ? await ctx.deps.db
        .select(playerColumns)
        .from(players)
        .where(inArray(players.id, [...ids]))
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id);
    return row ? playerView(ctx.principal, row) : null;
  });
}
