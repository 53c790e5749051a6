import { randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.js';
import { gameWebhookSecrets } from '../../db/schema/index.js';
import { newId } from '../../shared/ids.js';
import type { Deps, ServiceContext } from '../service-context.js';
import { loadGameForWrite, type GameRow } from './access.js';
import { openWebhookSecret, sealWebhookSecret } from './webhook-secret-cipher.js';

/** Standard Webhooks secrets: `whsec_` + base64 of the key bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Creates a new current webhook secret for a game and returns it (shown once; stored encrypted). */
export async function issueWebhookSecret(ctx: ServiceContext, executor: Executor, gameId: string): Promise<string> {
  const secret = `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
  await executor.insert(gameWebhookSecrets).values({
    id: newId(),
    gameId,
    secretCiphertext: sealWebhookSecret(ctx.deps, gameId, secret),
    secretPrefix: secret.slice(0, 12),
    createdAt: ctx.deps.clock.now(),
    expiresAt: null,
  });
  return secret;
}

/** rotateWebhookSecret's input as the boundary parses it (parseInput). */
export const rotateWebhookSecretInput = z.object({
  gameId: z.string(),
  /** How long the previous secret keeps signing; default WEBHOOK_SECRET_OVERLAP, 0 ends it at once. */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .nullish(),
});
export type RotateWebhookSecretInput = z.output<typeof rotateWebhookSecretInput>;

export interface RotatedWebhookSecret {
  readonly game: GameRow;
  /** The new `whsec_…`; shown only now. */
  readonly webhookSecret: string;
  /** Until when the previous secret still signs (both signatures are sent until then). */
  readonly previousSecretExpiresAt: Date;
}

/**
 * Replaces a game's webhook secret. The previous one keeps signing beside the new one until the end
 * of the overlap, so that the game server can switch without rejecting a single delivery.
 */
export async function rotateWebhookSecret(
  ctx: ServiceContext,
  input: RotateWebhookSecretInput,
): Promise<RotatedWebhookSecret> {
  const now = ctx.deps.clock.now();
  const overlapMs = input.overlapSeconds != null ? input.overlapSeconds * 1000 : ctx.deps.config.WEBHOOK_SECRET_OVERLAP;
  const previousSecretExpiresAt = new Date(now.getTime() + overlapMs);
  return ctx.deps.db.transaction(async (tx) => {
    // The row lock makes concurrent rotations take turns: exactly one secret stays current.
    const game = await loadGameForWrite(ctx, tx, input.gameId, true);
    await tx
      .update(gameWebhookSecrets)
      .set({ expiresAt: previousSecretExpiresAt })
      .where(and(eq(gameWebhookSecrets.gameId, game.id), isNull(gameWebhookSecrets.expiresAt)));
    const webhookSecret = await issueWebhookSecret(ctx, tx, game.id);
    return { game, webhookSecret, previousSecretExpiresAt };
  });
}

/** The secrets a webhook of this game is signed with now: the current one first, then those still in their overlap. */
export async function getWebhookSigningSecrets(
  deps: Pick<Deps, 'config' | 'clock'>,
  executor: Executor,
  gameId: string,
): Promise<string[]> {
  const rows = await executor
    .select({ ciphertext: gameWebhookSecrets.secretCiphertext, expiresAt: gameWebhookSecrets.expiresAt })
    .from(gameWebhookSecrets)
    .where(
      and(
        eq(gameWebhookSecrets.gameId, gameId),
        or(isNull(gameWebhookSecrets.expiresAt), gt(gameWebhookSecrets.expiresAt, deps.clock.now())),
      ),
    )
    // desc puts null (the current secret) first
    .orderBy(desc(gameWebhookSecrets.expiresAt), desc(gameWebhookSecrets.createdAt));
  return rows.map((row) => openWebhookSecret(deps, gameId, row.ciphertext));
}
