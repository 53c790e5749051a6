// OAuth 2.0 authorization codes with PKCE (RFC 6749 §4.1, RFC 7636 S256): how a game on its own
// origin, or a native app, gets its game token after the player's consent on Coinslot.
import { createHash, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { gameAuthorizations, oauthCodes } from '../../db/schema/index.js';
import { ValidationError } from '../../shared/errors.js';
import { newId, newSecret } from '../../shared/ids.js';
import { announceRevocation, hashToken, TOKEN_PREFIX } from '../accounts/index.js';
import type { Executor } from '../../db/client.js';
import type { Deps } from '../service-context.js';
import type { GameRow } from '../games/index.js';

/** A code lives this long: long enough for a redirect and one exchange, no more (RFC 6749 §4.1.2). */
export const CODE_TTL_MS = 60_000;
const CODE_PREFIX = 'ac_';
/** What a game token allows, as the token endpoint reports it. */
export const GAME_TOKEN_SCOPE = 'purchases';

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export interface CodeRequest {
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly codeChallengeMethod: string | null | undefined;
  readonly state: string;
}

/**
 * Where a game may receive a code: one of its registered redirect URIs (native apps, or a web page
 * in redirect mode) or one of its registered origins (web_message mode). Exact string match only.
 */
export function isRegisteredRedirect(game: Pick<GameRow, 'allowedOrigins' | 'redirectUris'>, uri: string): boolean {
  return game.redirectUris.includes(uri) || game.allowedOrigins.includes(uri);
}

/** Checks the PKCE part of a consent (the GraphQL input names the fields); returns it normalized. */
export function parseCodeRequest(
  game: Pick<GameRow, 'allowedOrigins' | 'redirectUris'>,
  input: Partial<CodeRequest>,
): CodeRequest {
  const issues: { path: string; message: string }[] = [];
  if (!input.redirectUri) issues.push({ path: 'input.redirectUri', message: 'is required with codeChallenge' });
  else if (!isRegisteredRedirect(game, input.redirectUri))
    issues.push({ path: 'input.redirectUri', message: 'is not registered for this game' });
  if (!input.codeChallenge || !CHALLENGE.test(input.codeChallenge))
    issues.push({
      path: 'input.codeChallenge',
      message: 'must be the base64url SHA-256 of the code verifier (43 characters)',
    });
  if (input.codeChallengeMethod !== 'S256') issues.push({ path: 'input.codeChallengeMethod', message: 'must be S256' });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (!input.state || input.state.length > 1024 || /[\u0000-\u001f\u007f]/.test(input.state))
    issues.push({ path: 'input.state', message: 'is required (at most 1024 printable characters)' });
  if (issues.length > 0) throw new ValidationError(issues);
  return input as CodeRequest;
}

/**
 * Stores a new code for the authorization (only its keyed hash) and returns where to send the player:
 * the redirect URI with `code` and `state` (RFC 6749 §4.1.2).
 */
export async function issueCode(
  deps: Deps,
  executor: Executor,
  authorization: { id: string; gameId: string; playerId: string },
  request: CodeRequest,
): Promise<string> {
  const code = newSecret(CODE_PREFIX);
  const now = deps.clock.now();
  await executor.insert(oauthCodes).values({
    id: newId(),
    codeHash: hashToken(deps.config.secrets.tokenPepper, code),
    authorizationId: authorization.id,
    gameId: authorization.gameId,
    playerId: authorization.playerId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CODE_TTL_MS),
  });
  const target = new URL(request.redirectUri);
  target.searchParams.set('code', code);
  target.searchParams.set('state', request.state);
  return target.href;
}

/** An RFC 6749 §5.2 error of the token endpoint. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type',
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
  }
}

export interface CodeExchange {
  readonly code: string;
  readonly redirectUri: string;
  /** The game's raw id (the caller decodes the client_id). */
  readonly gameId: string;
  readonly codeVerifier: string;
}

function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Exchanges a code for the game token (`gt_…`): once, before it expires, by the game it was issued
 * to, with the same redirect URI and the verifier of its challenge. Issuing rotates the
 * authorization's token (an older token of this player for this game stops). A code presented again
 * revokes the token its first exchange issued. Any mismatch burns the code and issues nothing.
 */
export async function exchangeCode(deps: Deps, input: CodeExchange): Promise<{ accessToken: string; scope: string }> {
  const { db, clock, config } = deps;
  if (!VERIFIER.test(input.codeVerifier))
    throw new OAuthError('invalid_request', 'code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)');
  const codeHash = hashToken(config.secrets.tokenPepper, input.code);
  const accessToken = newSecret(TOKEN_PREFIX.gameToken);
  const tokenHash = hashToken(config.secrets.tokenPepper, accessToken);
  const announce: string[] = [];
  try {
    const outcome = await db.transaction(async (tx) => {
      const now = clock.now();
      // The claim: one exchange wins; a concurrent one waits on the row lock and then sees it used.
      const [claimed] = await tx
        .update(oauthCodes)
        .set({ usedAt: now })
        .where(and(eq(oauthCodes.codeHash, codeHash), isNull(oauthCodes.usedAt), gt(oauthCodes.expiresAt, now)))
        .returning();
      if (!claimed) {
        const [seen] = await tx.select().from(oauthCodes).where(eq(oauthCodes.codeHash, codeHash)).limit(1);
        if (seen?.usedAt && seen.issuedTokenHash) {
          // A replay: whoever holds this code is not to be trusted with what it bought (RFC 6749 §4.1.2).
          const revoked = await tx
            .update(gameAuthorizations)
            .set({ revokedAt: now })
            .where(
              and(
                eq(gameAuthorizations.id, seen.authorizationId),
                eq(gameAuthorizations.tokenHash, seen.issuedTokenHash),
                isNull(gameAuthorizations.revokedAt),
              ),
            )
            .returning({ id: gameAuthorizations.id });
          announce.push(...revoked.map((r) => r.id));
          return new OAuthError('invalid_grant', 'the authorization code was already used; its token is revoked');
        }
        return new OAuthError(
          'invalid_grant',
          seen ? 'the authorization code is used or expired' : 'unknown authorization code',
        );
      }
      // From here on the code is spent, whatever happens next.
      if (claimed.gameId !== input.gameId)
        return new OAuthError('invalid_grant', 'the authorization code was issued to another client');
      if (claimed.redirectUri !== input.redirectUri)
        return new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
      if (!sameText(challengeOf(input.codeVerifier), claimed.codeChallenge))
        return new OAuthError('invalid_grant', 'code_verifier does not match the code challenge');
      const [authorization] = await tx
        .update(gameAuthorizations)
        .set({ tokenHash, updatedAt: now })
        .where(and(eq(gameAuthorizations.id, claimed.authorizationId), isNull(gameAuthorizations.revokedAt)))
        .returning({ id: gameAuthorizations.id });
      if (!authorization) return new OAuthError('invalid_grant', 'the authorization was revoked');
      await tx.update(oauthCodes).set({ issuedTokenHash: tokenHash }).where(eq(oauthCodes.id, claimed.id));
      // The token this one replaces stops on every instance.
      announce.push(authorization.id);
      return null;
    });
    if (outcome) throw outcome;
  } finally {
    if (announce.length > 0) await announceRevocation(deps, { kind: 'game_authorization', ids: announce });
  }
  return { accessToken, scope: GAME_TOKEN_SCOPE };
}
