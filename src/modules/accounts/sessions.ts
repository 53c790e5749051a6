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
