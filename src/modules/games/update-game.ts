import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { games } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import { loadGameForWrite, type GameRow } from './access.js';
import { allowedOrigins, assertWebhookDestination, gameName, redirectUris, webhookUrl } from './game-fields.js';

// Absent fields stay as they are; webhookUrl: null removes the webhook.
// allowedOrigins/redirectUris replace the whole list when given ([] empties it).
/** updateGame's input as the boundary parses it (parseInput); production refuses http origins. */
export const updateGameInput = (production: boolean) =>
  z.object({
    gameId: z.string(),
    name: gameName.optional(),
    webhookUrl: webhookUrl.nullish(),
    allowedOrigins: allowedOrigins(production).optional(),
    redirectUris: redirectUris(production).optional(),
  });
export type UpdateGameInput = z.output<ReturnType<typeof updateGameInput>>;

/**
 * Changes a game's name, webhook URL, origins or redirect URIs; only its own developer may. The platform
 * fee is Coinslot's, not the developer's: operators set it with setGamePlatformFee.
 */
export async function updateGame(ctx: ServiceContext, input: UpdateGameInput): Promise<GameRow> {
  assertWebhookDestination(ctx.deps.outboundHttp, input.webhookUrl);
  return ctx.deps.db.transaction(async (tx) => {
    const game = await loadGameForWrite(ctx, tx, input.gameId, true);
    const changes: Partial<typeof games.$inferInsert> = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.webhookUrl !== undefined) changes.webhookUrl = input.webhookUrl || null;
    if (input.allowedOrigins !== undefined) changes.allowedOrigins = input.allowedOrigins;
    if (input.redirectUris !== undefined) changes.redirectUris = input.redirectUris;
    if (Object.keys(changes).length === 0) return game;
    const [updated] = await tx
      .update(games)
      .set({ ...changes, updatedAt: ctx.deps.clock.now() })
      .where(eq(games.id, game.id))
      .returning();
    return updated!;
  });
}
