import { and, eq, isNull } from 'drizzle-orm';
import { gameAuthorizations } from '../../db/schema/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { newId, newSecret } from '../../shared/ids.js';
import { announceRevocation, hashToken, TOKEN_PREFIX } from '../accounts/index.js';
import { findGame } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import {
  parseAllowance,
  requirePlayerSession,
  toAuthorization,
  type GameAuthorization,
  type MoneyInput,
} from './authorization-rows.js';

export interface AuthorizeGameInput {
  readonly gameId: string;
  readonly oneTapMax: MoneyInput;
  readonly dailyCap: MoneyInput;
}

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return (error as { code?: string })?.code === '23505' || cause?.code === '23505';
}

/**
 * The signed-in player grants a game one-tap purchases within an allowance, and gets the game
 * token (`gt_…`, shown once, stored only as a keyed hash) that the game acts with for this player.
 * Authorizing a game again sets the new allowance and rotates the token: the old one stops at once.
 */
export async function authorizeGame(
  ctx: ServiceContext,
  input: AuthorizeGameInput,
): Promise<{ authorization: GameAuthorization; gameToken: string }> {
  const playerId = requirePlayerSession(ctx);
  const allowance = parseAllowance(input.oneTapMax, input.dailyCap);
  const { db, clock, config } = ctx.deps;
  const game = await findGame(db, input.gameId);
  if (!game) throw new NotFoundError('Game');

  const gameToken = newSecret(TOKEN_PREFIX.gameToken);
  const tokenHash = hashToken(config.secrets.tokenPepper, gameToken);
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
      if (current) {
        rotatedId = current.id;
        const [row] = await tx
          .update(gameAuthorizations)
          .set({ ...allowance, tokenHash, updatedAt: now })
          .where(eq(gameAuthorizations.id, current.id))
          .returning();
        return row!;
      }
      const [row] = await tx
        .insert(gameAuthorizations)
        .values({ id: newId(), playerId, gameId: game.id, ...allowance, tokenHash, createdAt: now, updatedAt: now })
        .returning();
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
  return { authorization: toAuthorization(row), gameToken };
}
