import { and, eq, isNull } from 'drizzle-orm';
import { sessions } from '../../db/schema/index.js';
import { newId, newSecret } from '../../shared/ids.js';
import type { Executor } from '../../db/client.js';
import type { ServiceContext } from '../service-context.js';
import { hashToken, TOKEN_PREFIX } from './tokens.js';
import { announceRevocation } from './revocations.js';

export type SessionOwner = { developerId: string } | { playerId: string };

/** Opens a session and returns its token; only the token's keyed hash is stored. */
export async function openSession(
  ctx: ServiceContext,
  owner: SessionOwner,
  db: Executor = ctx.deps.db,
): Promise<string> {
  const { config, clock } = ctx.deps;
  const token = newSecret('developerId' in owner ? TOKEN_PREFIX.developerSession : TOKEN_PREFIX.playerSession);
  await db.insert(sessions).values({
    id: newId(),
    tokenHash: hashToken(config.secrets.tokenPepper, token),
    developerId: 'developerId' in owner ? owner.developerId : null,
    playerId: 'playerId' in owner ? owner.playerId : null,
    expiresAt: new Date(clock.now().getTime() + config.SESSION_TTL),
  });
  return token;
}

/** Revokes the caller's own session; its token stops working at once, on every instance. */
export async function logOut(ctx: ServiceContext): Promise<boolean> {
  const { principal } = ctx;
  if (principal.kind !== 'developer' && principal.kind !== 'player') return false;
  try {
    const revoked = await ctx.deps.db
      .update(sessions)
      .set({ revokedAt: ctx.deps.clock.now() })
      .where(and(eq(sessions.id, principal.sessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    return revoked.length > 0;
  } finally {
    // also when the update failed (its commit may have happened) or found it already revoked (a cached
    // principal elsewhere, if an earlier announcement was lost): a needless drop costs one query
    await announceRevocation(ctx.deps, { kind: 'session', ids: [principal.sessionId] });
  }
}

/**
 * Signs the caller out everywhere: revokes every open session of the same developer or player (this
 * one included); their tokens stop working at once, on every instance. Game tokens are grants to
 * games, not sessions: they stay until the player revokes the game. Returns how many were ended.
 */
export async function logOutEverywhere(ctx: ServiceContext): Promise<number> {
  const { principal } = ctx;
  if (principal.kind !== 'developer' && principal.kind !== 'player') return 0;
  const owner =
    principal.kind === 'player'
      ? eq(sessions.playerId, principal.playerId)
      : eq(sessions.developerId, principal.developerId);
  let ids: string[] = [principal.sessionId];
  try {
    const revoked = await ctx.deps.db
      .update(sessions)
      .set({ revokedAt: ctx.deps.clock.now() })
      .where(and(owner, isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    ids = [...new Set([principal.sessionId, ...revoked.map((r) => r.id)])];
    return revoked.length;
  } finally {
    await announceRevocation(ctx.deps, { kind: 'session', ids });
  }
}
