import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { gameAuthorizations } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import {
  findPlayerAuthorization,
  allowanceInput,
  allowanceOf,
  requirePlayerSession,
  toAuthorization,
  type GameAuthorization,
} from './authorization-rows.js';

/** updateGameAuthorization's input as the boundary parses it (parseInput): a row id, the allowance as Money. */
export const updateGameAuthorizationInput = z.object({
  authorizationId: z.uuid('must be an id'),
  ...allowanceInput,
});

export type UpdateGameAuthorizationInput = z.output<typeof updateGameAuthorizationInput>;

/** Changes the one-tap allowance of one of the player's active authorizations; the game token stays. */
export async function updateGameAuthorization(
  ctx: ServiceContext,
  input: UpdateGameAuthorizationInput,
): Promise<GameAuthorization> {
  const playerId = requirePlayerSession(ctx);
  const allowance = allowanceOf(input.oneTapMax, input.dailyCap);
  const row = await ctx.deps.db.transaction(async (tx) => {
    const current = await findPlayerAuthorization(tx, playerId, input.authorizationId, {
      activeOnly: true,
      lock: true,
    });
    const [updated] = await tx
      .update(gameAuthorizations)
      .set({ ...allowance, updatedAt: ctx.deps.clock.now() })
      .where(eq(gameAuthorizations.id, current.id))
      .returning();
    return updated!;
  });
  return toAuthorization(row);
}
