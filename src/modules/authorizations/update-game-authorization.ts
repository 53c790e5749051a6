import { eq } from 'drizzle-orm';
import { gameAuthorizations } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import {
  findPlayerAuthorization,
  parseAllowance,
  requirePlayerSession,
  toAuthorization,
  type GameAuthorization,
  type MoneyInput,
} from './authorization-rows.js';

export interface UpdateGameAuthorizationInput {
  readonly authorizationId: string;
  readonly oneTapMax: MoneyInput;
  readonly dailyCap: MoneyInput;
}

/** Changes the one-tap allowance of one of the player's active authorizations; the game token stays. */
export async function updateGameAuthorization(
  ctx: ServiceContext,
  input: UpdateGameAuthorizationInput,
): Promise<GameAuthorization> {
  const playerId = requirePlayerSession(ctx);
  const allowance = parseAllowance(input.oneTapMax, input.dailyCap);
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
