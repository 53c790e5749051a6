import { eq } from 'drizzle-orm';
import { outboxEvents } from '../../db/schema/index.js';
import { InvalidStateError } from '../../shared/errors.js';
import type { ServiceContext } from '../service-context.js';
import { loadManagedGame } from './access.js';
import {
  deliveryTarget,
  postWebhook,
  recordDelivery,
  type WebhookDeliveryRow,
  type OutboxEventRow,
} from './deliver.js';
import { newEventId } from './enqueue-event.js';
import { publicId } from '../../shared/public-ids.js';

/**
 * Sends a `webhook.test` event to the game's endpoint now, signed like every other, and returns the
 * attempt. A test is tried once, never retried; it is listed with the other events.
 */
export async function sendTestWebhook(
  ctx: ServiceContext,
  input: { readonly gameId: string },
): Promise<{ event: OutboxEventRow; delivery: WebhookDeliveryRow }> {
  const game = await loadManagedGame(ctx, input.gameId);
  const target = await deliveryTarget(ctx.deps, game.id);
  if (target.url === null) throw new InvalidStateError(target.reason);
  const now = ctx.deps.clock.now();
  const id = newEventId();
  const [event] = await ctx.deps.db
    .insert(outboxEvents)
    .values({
      id,
      gameId: game.id,
      type: 'webhook.test',
      // its own aggregate: a test never waits behind, nor holds up, a purchase's events
      aggregateId: id,
      sequence: 1,
      payload: {
        gameId: publicId('Game', game.id),
        message: 'A test webhook from Coinslot: your endpoint and signature check work.',
      },
      createdAt: now,
      status: 'failed',
      attempts: 0,
    })
    .returning();
  const outcome = await postWebhook(ctx.deps, event!, target);
  return ctx.deps.db.transaction(async (tx) => {
    const delivery = await recordDelivery(tx, event!, outcome, 'test');
    const [updated] = await tx
      .update(outboxEvents)
      .set({
        status: outcome.success ? 'delivered' : 'failed',
        attempts: 1,
        lastError: outcome.error,
        deliveredAt: outcome.success ? outcome.attemptedAt : null,
      })
      .where(eq(outboxEvents.id, id))
      .returning();
    return { event: updated!, delivery };
  });
}
