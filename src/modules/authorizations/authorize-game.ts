import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { gameAuthorizations } from '../../db/schema/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { newId, newSecret } from '../../shared/ids.js';
import { announceRevocation, hashToken, TOKEN_PREFIX } from '../accounts/index.js';
import { findGame } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import {
  allowanceInput,
  allowanceOf,
  requirePlayerSession,
  toAuthorization,
  type GameAuthorization,
} from './authorization-rows.js';
import { issueCode, parseCodeRequest, type CodeRequest } from './oauth-codes.js';

/**
 * authorizeGame's input as the boundary parses it (parseInput): the game as a row id, the allowance
 * as Money. The OAuth fields (Coinslot Connect: with them the game gets a code at redirectUri instead
 * of the token here) are checked against the game by the verb.
 */
export const authorizeGameInput = z.object({
  gameId: z.uuid('must be an id'),
  ...allowanceInput,
  redirectUri: z.string().nullish(),
  codeChallenge: z.string().nullish(),
  codeChallengeMethod: z.string().nullish(),
  state: z.string().nullish(),
});

export type AuthorizeGameInput = z.output<typeof authorizeGameInput>;

export interface AuthorizeGameResult {
  readonly authorization: GameAuthorization;
  /** The game token, when no code was asked for; null in the OAuth flow (the game exchanges the code). */
  readonly gameToken: string | null;
  /** The registered redirect URI with `code` and `state`, in the OAuth flow. */
  readonly redirectTo: string | null;
}

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return (error as { code?: string })?.code === '23505' || cause?.code === '23505';
}

/**
 * The signed-in player grants a game one-tap purchases within an allowance.
 *
 * Without OAuth fields the player gets the game token (`gt_…`, shown once, stored only as a keyed
 * hash) that the game acts with for this player; authorizing again sets the new allowance and
 * rotates the token: the old one stops at once.
 *
 * With them (Coinslot Connect: redirectUri, codeChallenge, S256, state) the allowance is saved and a
 * single-use code bound to the game, the redirect URI and the challenge is issued instead; the game
 * exchanges it at /oauth/token for its token, which rotates then. No token is returned here.
 */
export async function authorizeGame(ctx: ServiceContext, input: AuthorizeGameInput): Promise<AuthorizeGameResult> {
  const playerId = requirePlayerSession(ctx);
  const allowance = allowanceOf(input.oneTapMax, input.dailyCap);
  const { db, clock, config } = ctx.deps;
  const game = await findGame(db, input.gameId);
  if (!game) throw new NotFoundError('Game');
  const wantsCode =
    input.redirectUri != null ||
    input.codeChallenge != null ||
    input.codeChallengeMethod != null ||
    input.state != null;
  const codeRequest: CodeRequest | null = wantsCode
    ? parseCodeRequest(game, {
        redirectUri: input.redirectUri ?? '',
        codeChallenge: input.codeChallenge ?? '',
        codeChallengeMethod: input.codeChallengeMethod,
        state: input.state ?? '',
      })
    : null;

  // In the OAuth flow nobody learns this one: a new authorization's placeholder until the exchange.
  const gameToken = newSecret(TOKEN_PREFIX.gameToken);
  const tokenHash = hashToken(config.secrets.tokenPepper, gameToken);
  let redirectTo: string | null = null;
  // An authorization whose old token this call replaces: a revocation of that token.
  let rotatedId: string | null = null;
  const write = () =>
    db.transaction(async (tx) => {
      const now = clock.now();
      const [current] = await tx
        .select({ id: gameAuthorizations.id })
        .from(gameAuthorizations)
        .where(
          and(
            eq(gameAuthorizations.playerId, playerId),
            eq(gameAuthorizations.gameId, game.id),
            isNull(gameAuthorizations.revokedAt),
          ),
        )
        .for('update');
      let row;
      if (current) {
        // The OAuth flow keeps the current token until the exchange rotates it.
        if (!codeRequest) rotatedId = current.id;
        [row] = await tx
          .update(gameAuthorizations)
          .set(codeRequest ? { ...allowance, updatedAt: now } : { ...allowance, tokenHash, updatedAt: now })
          .where(eq(gameAuthorizations.id, current.id))
          .returning();
      } else {
        [row] = await tx
          .insert(gameAuthorizations)
          .values({ id: newId(), playerId, gameId: game.id, ...allowance, tokenHash, createdAt: now, updatedAt: now })
          .returning();
      }
      if (codeRequest) redirectTo = await issueCode(ctx.deps, tx, row!, codeRequest);
      return row!;
    });
  let row;
  try {
    try {
      row = await write();
    } catch (error) {
      // Two first authorizations at once: the loser finds the winner's row and rotates it.
      if (!isUniqueViolation(error)) throw error;
      row = await write();
    }
  } finally {
    // after the commit: the old token's cached principal goes from every instance
    if (rotatedId) await announceRevocation(ctx.deps, { kind: 'game_authorization', ids: [rotatedId] });
  }
  return { authorization: toAuthorization(row), gameToken: codeRequest ? null : gameToken, redirectTo };
}
