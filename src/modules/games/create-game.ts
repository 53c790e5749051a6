import { z } from 'zod';
import { games } from '../../db/schema/index.js';
import { newId } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import type { GameRow } from './access.js';
import { requireDeveloper } from './access.js';
import {
  allowedOrigins,
  assertWebhookDestination,
  gameName,
  isoCurrency,
  redirectUris,
  webhookUrl,
} from './game-fields.js';
import { issueGameKeys, type GameKeyPair } from './keys.js';
import { issueWebhookSecret } from './webhook-secrets.js';

/** createGame's input as the boundary parses it (parseInput); production refuses http origins. */
export const createGameInput = (production: boolean) =>
  z.object({
    name: gameName,
    defaultCurrency: isoCurrency,
    webhookUrl: webhookUrl.nullish(),
    allowedOrigins: allowedOrigins(production).nullish(),
    redirectUris: redirectUris(production).nullish(),
  });
export type CreateGameInput = z.output<ReturnType<typeof createGameInput>>;

export const DEFAULT_PLATFORM_FEE_BPS = 3000;

/**
 * Creates a game for the calling developer at the default platform fee (only operators change it:
 * setGamePlatformFee), with its keys (returned here once, stored hashed) and its
 * webhook signing secret (returned here once, stored encrypted).
 */
export async function createGame(
  ctx: ServiceContext,
  input: CreateGameInput,
): Promise<{ game: GameRow; webhookSecret: string } & GameKeyPair> {
  const developerId = requireDeveloper(ctx);
  assertWebhookDestination(ctx.deps.outboundHttp, input.webhookUrl);
  const now = ctx.deps.clock.now();
  return ctx.deps.db.transaction(async (tx) => {
    const [game] = await tx
      .insert(games)
      .values({
        id: newId(),
        developerId,
        name: input.name,
        defaultCurrency: input.defaultCurrency,
        platformFeeBps: DEFAULT_PLATFORM_FEE_BPS,
        webhookUrl: input.webhookUrl || null,
        allowedOrigins: input.allowedOrigins ?? [],
        redirectUris: input.redirectUris ?? [],
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const keys = await issueGameKeys(ctx, tx, game!.id);
    const webhookSecret = await issueWebhookSecret(ctx, tx, game!.id);
    return { game: game!, ...keys, webhookSecret };
  });
}
