import { inArray } from 'drizzle-orm';
import { developers, players } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import { developerColumns, playerColumns, type DeveloperRow, type PlayerRow } from './account-rows.js';

/** Developers by id, in the order asked (for dataloaders); null where absent. */
export async function getDevelopersByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(DeveloperRow | null)[]> {
  const rows = ids.length
    ? await ctx.deps.db
        .select(developerColumns)
        .from(developers)
        .where(inArray(developers.id, [...ids]))
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Players by id, in the order asked (for dataloaders); null where absent. */
export async function getPlayersByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(PlayerRow | null)[]> {
  const rows = ids.length
    ? await ctx.deps.db
        .select(playerColumns)
        .from(players)
        .where(inArray(players.id, [...ids]))
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}
