import { and, asc, gt, inArray, notLike, sql } from 'drizzle-orm';
import { gameWebhookSecrets } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import { currentSealPrefix, openWebhookSecret, sealWebhookSecret } from './webhook-secret-cipher.js';

const BATCH = 100;

/**
 * After WEBHOOK_SECRET_KEY was rotated (the old key moved to WEBHOOK_SECRET_KEY_PREVIOUS), seals
 * every stored webhook secret again under the current key, a batch per transaction (rows locked
 * with SKIP LOCKED, so instances share the work and a rotation of the game's secret is not held
 * up). A value no configured key opens is logged and left as it is. Runs only while
 * WEBHOOK_SECRET_KEY_PREVIOUS is set. Returns how many moved.
 */
export async function reencryptWebhookSecrets(ctx: ServiceContext): Promise<number> {
  const { db, logger, config } = ctx.deps;
  // Nothing was rotated: every value opens with the current key (old-format ones too).
  if (config.secrets.webhookSecretKeysPrevious.length === 0) return 0;
  const prefix = currentSealPrefix(ctx.deps);
  let moved = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      const rows = await tx
        .select({
          id: gameWebhookSecrets.id,
          gameId: gameWebhookSecrets.gameId,
          sealed: gameWebhookSecrets.secretCiphertext,
        })
        .from(gameWebhookSecrets)
        .where(and(gt(gameWebhookSecrets.id, after), notLike(gameWebhookSecrets.secretCiphertext, `${prefix}%`)))
        .orderBy(asc(gameWebhookSecrets.id))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      const resealed: { id: string; sealed: string }[] = [];
      for (const row of rows) {
        try {
          resealed.push({
            id: row.id,
            sealed: sealWebhookSecret(ctx.deps, row.gameId, openWebhookSecret(ctx.deps, row.gameId, row.sealed)),
          });
        } catch (error) {
          logger.error(
            { err: error, webhookSecretId: row.id, gameId: row.gameId },
            'a stored webhook secret opens with no configured key; left as it is',
          );
        }
      }
      if (resealed.length > 0) {
        const cases = sql.join(
          resealed.map((r) => sql`when ${r.id}::uuid then ${r.sealed}`),
          sql` `,
        );
        await tx
          .update(gameWebhookSecrets)
          .set({ secretCiphertext: sql`case ${gameWebhookSecrets.id} ${cases} end` })
          .where(
            inArray(
              gameWebhookSecrets.id,
              resealed.map((r) => r.id),
            ),
          );
      }
      return { last: rows.at(-1)?.id ?? null, resealed: resealed.length };
    });
    moved += batch.resealed;
    if (batch.last === null) break;
    after = batch.last;
  }
  // Tells the operator when the previous keys can go (rows that no key opens, or locked just now, stay behind).
  const [{ left } = { left: 0 }] = await db
    .select({ left: sql<number>`count(*)::int` })
    .from(gameWebhookSecrets)
    .where(notLike(gameWebhookSecrets.secretCiphertext, `${prefix}%`));
  if (moved > 0 || left > 0) {
    logger.info(
      { moved, left },
      left === 0
        ? 'webhook secrets are all sealed under the current WEBHOOK_SECRET_KEY: WEBHOOK_SECRET_KEY_PREVIOUS can be removed'
        : 'webhook secrets not yet sealed under the current WEBHOOK_SECRET_KEY remain',
    );
  }
  return moved;
}
