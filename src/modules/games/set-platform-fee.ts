import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { games } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import type { GameRow } from './access.js';
import { platformFeeBps } from './game-fields.js';

/** setGamePlatformFee's input as the boundary parses it (parseInput). */
export const setPlatformFeeInput = z.object({ gameId: z.string(), platformFeeBps });
export type SetPlatformFeeInput = z.output<typeof setPlatformFeeInput>;

/**
 * Sets the share of every later sale of a game that Coinslot keeps, in basis points. The fee is
 * Coinslot's business, so only the operator token may change it (a game's developer reads it);
 * purchases already made keep the fee they were made at (each purchase stores its own).
 */
export async function setGamePlatformFee(ctx: ServiceContext, input: SetPlatformFeeInput): Promise<GameRow> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind !== 'operator') throw new ForbiddenError("Only an operator may set a game's platform fee.");
  if (!isUuid(input.gameId)) throw new NotFoundError('Game');
  const [game] = await ctx.deps.db
    .update(games)
    .set({ platformFeeBps: input.platformFeeBps, updatedAt: ctx.deps.clock.now() })
    .where(eq(games.id, input.gameId))
    .returning();
  if (!game) throw new NotFoundError('Game');
  ctx.deps.logger.info(
    { gameId: game.id, platformFeeBps: game.platformFeeBps, requestId: ctx.requestId },
    'platform fee set by an operator',
  );
  return game;
}
