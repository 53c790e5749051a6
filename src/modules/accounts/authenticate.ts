import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { preparedStatement } from '../../db/prepared.js';
import { gameAuthorizations, gameKeys, games, sessions } from '../../db/schema/index.js';
import { UnauthenticatedError } from '../../shared/errors.js';
import { anonymous, type Principal } from '../../shared/principal.js';
import type { Deps } from '../service-context.js';
import type { CachedPrincipal } from './principal-cache.js';
import { hashToken, safeEqual, TOKEN_PREFIX } from './tokens.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]{8,200})$/;

// A request whose credential is not in the principal cache (principal-cache.ts) runs one of these, so
// they are prepared. The cache keeps a principal at most PRINCIPAL_CACHE_TTL and never past a
// session's expires_at; a revocation drops it on every instance at once (revocations.ts).
const sessionByHash = preparedStatement((db) =>
  db
    .select({
      id: sessions.id,
      developerId: sessions.developerId,
      playerId: sessions.playerId,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .where(
      and(
        eq(sessions.tokenHash, sql.placeholder('tokenHash')),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder('now')),
      ),
    )
    .limit(1)
    .prepare('accounts_session_by_hash'),
);

const gameKeyByHash = preparedStatement((db) =>
  db
    .select({ id: gameKeys.id, kind: gameKeys.kind, gameId: gameKeys.gameId, developerId: games.developerId })
    .from(gameKeys)
    .innerJoin(games, eq(games.id, gameKeys.gameId))
    .where(and(eq(gameKeys.keyHash, sql.placeholder('tokenHash')), isNull(gameKeys.revokedAt)))
    .limit(1)
    .prepare('accounts_game_key_by_hash'),
);

const gameAuthorizationByHash = preparedStatement((db) =>
  db
    .select({ id: gameAuthorizations.id, playerId: gameAuthorizations.playerId, gameId: gameAuthorizations.gameId })
    .from(gameAuthorizations)
    .where(and(eq(gameAuthorizations.tokenHash, sql.placeholder('tokenHash')), isNull(gameAuthorizations.revokedAt)))
    .limit(1)
    .prepare('accounts_game_authorization_by_hash'),
);

/**
 * Resolves the Authorization header to a principal. No header → anonymous; a malformed,
 * unknown, expired or revoked credential → UnauthenticatedError (never silently anonymous).
 */
export async function authenticate(deps: Deps, authorization: string | null): Promise<Principal> {
  if (!authorization) return anonymous;
  const match = BEARER.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
  const token = match[1] as string;
  const principal = await lookup(deps, token);
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/**
 * Whether the Authorization header names a credential this instance holds in its principal cache
 * (known valid: authenticating it will not touch the database). Never looks anything up; an unknown,
 * malformed or operator credential is false.
 */
export function hasCachedPrincipal(deps: Pick<Deps, 'config' | 'principalCache'>, authorization: string): boolean {
  const match = BEARER.exec(authorization.trim());
  const token = match?.[1];
  if (!token || token.startsWith(TOKEN_PREFIX.operator)) return false;
  return deps.principalCache.get(hashToken(deps.config.secrets.tokenPepper, token)) !== undefined;
}

async function lookup(deps: Deps, token: string): Promise<Principal | null> {
  const { config, principalCache } = deps;
  if (token.startsWith(TOKEN_PREFIX.operator)) {
    return safeEqual(token, config.secrets.operatorToken) ? { kind: 'operator' } : null;
  }
  const tokenHash = hashToken(config.secrets.tokenPepper, token);
  const cached = principalCache.get(tokenHash);
  if (cached) return cached;
  // Read before the query: a revocation processed while it runs forbids caching its answer.
  const ticket = principalCache.ticket();
  const found = await lookupInDatabase(deps, token, tokenHash);
  if (!found) return null; // unknown or revoked credentials are never cached
  principalCache.put(ticket, tokenHash, found.principal, found.expiresAt);
  return found.principal;
}

async function lookupInDatabase(
  deps: Deps,
  token: string,
  tokenHash: string,
): Promise<{ principal: CachedPrincipal; expiresAt?: Date } | null> {
  const { db, clock } = deps;
  if (token.startsWith(TOKEN_PREFIX.developerSession) || token.startsWith(TOKEN_PREFIX.playerSession)) {
    const [session] = await sessionByHash(db).execute({ tokenHash, now: clock.now().toISOString() });
    if (!session) return null;
    const { expiresAt } = session;
    if (session.developerId)
      return { principal: { kind: 'developer', developerId: session.developerId, sessionId: session.id }, expiresAt };
    if (session.playerId)
      return { principal: { kind: 'player', playerId: session.playerId, sessionId: session.id }, expiresAt };
    return null;
  }
  if (token.startsWith(TOKEN_PREFIX.gameSecret) || token.startsWith(TOKEN_PREFIX.gamePublishable)) {
    const [key] = await gameKeyByHash(db).execute({ tokenHash });
    if (!key) return null;
    return {
      principal:
        key.kind === 'secret'
          ? { kind: 'game_secret', gameId: key.gameId, developerId: key.developerId, keyId: key.id }
          : { kind: 'game_publishable', gameId: key.gameId, keyId: key.id },
    };
  }
  if (token.startsWith(TOKEN_PREFIX.gameToken)) {
    const [grant] = await gameAuthorizationByHash(db).execute({ tokenHash });
    if (!grant) return null;
    return {
      principal: { kind: 'player_game', playerId: grant.playerId, gameId: grant.gameId, authorizationId: grant.id },
    };
  }
  return null;
}
