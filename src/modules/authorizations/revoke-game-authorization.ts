import { and, eq, isNull } from 'drizzle-orm';
import { gameAuthorizations } from '../../db/schema/index.js';
import { announceRevocation } from '../accounts/index.js';
import type { ServiceContext } from '../service-context.js';
import {
  findPlayerAuthorization,
  requirePlayerSession,
  toAuthorization,
  type GameAuthorization,
} from './authorization-rows.js';

/**
 * Revokes one of the player's authorizations: its game token is refused from the next request on,
 * on every instance (authentication checks revoked_at; the announcement drops cached principals).
 * Revoking again returns the revoked authorization unchanged.
 */
export async function revokeGameAuthorization(
  ctx: ServiceContext,
  input: { authorizationId: string },
): Promise<GameAuthorization> {
  const playerId = requirePlayerSession(ctx);
  const current = await findPlayerAuthorization(ctx.deps.db, playerId, input.authorizationId, { activeOnly: false });
  try {
    if (current.revokedAt) return toAuthorization(current);
    const [revoked] = await ctx.deps.db
      .update(gameAuthorizations)
      .set({ revokedAt: ctx.deps.clock.now() })
      .where(and(eq(gameAuthorizations.id, current.id), isNull(gameAuthorizations.revokedAt)))
      .returning();
    // A concurrent revoke got there first: read what it wrote.
    return toAuthorization(
      revoked ?? (await findPlayerAuthorization(ctx.deps.db, playerId, current.id, { activeOnly: false })),
    );
  } finally {
    // After the commit. Also when it was already revoked: a retry heals an instance that missed the
    // first announcement (Redis down), instead of waiting for PRINCIPAL_CACHE_TTL.
    await announceRevocation(ctx.deps, { kind: 'game_authorization', ids: [current.id] });
  }
}
