import { and, eq, ne } from 'drizzle-orm';
import { outboxEvents } from '../../db/schema/index.js';
import { InvalidStateError } from '../../shared/errors.js';
import type { ServiceContext } from '../service-context.js';
import { loadManagedEvent } from './access.js';
import {
  deliveryTarget,
  postWebhook,
  recordDelivery,
  type OutboxEventRow,
  type WebhookDeliveryRow,
} from './deliver.js';

export interface RedeliveryResult {
  readonly event: OutboxEventRow;
  readonly delivery: WebhookDeliveryRow;
}

/**
 * Sends an event again now, with the same id (receivers de-duplicate by it), and records the
 * attempt. A success marks a pending, failed or unsent event delivered; a failure changes nothing
 * of the automatic schedule.
 */
export async function redeliverEvent(
  ctx: ServiceContext,
  input: { readonly eventId: string },
): Promise<RedeliveryResult> {
  const { event } = await loadManagedEvent(ctx, input.eventId);
  const target = await deliveryTarget(ctx.deps, event.gameId);
  if (target.url === null) throw new InvalidStateError(target.reason);
  const outcome = await postWebhook(ctx.deps, event, target);
  return ctx.deps.db.transaction(async (tx) => {
    const delivery = await recordDelivery(tx, event, outcome, 'manual');
    if (!outcome.success) return { event, delivery };
    // Clearing the lease also voids the result of an automatic attempt that may be in flight.
    const [updated] = await tx
      .update(outboxEvents)
      .set({
        status: 'delivered',
        deliveredAt: outcome.attemptedAt,
        nextAttemptAt: null,
        leaseToken: null,
        lastError: null,
      })
      .where(and(eq(outboxEvents.id, event.id), ne(outboxEvents.status, 'delivered')))
      .returning();
    return { event: updated ?? event, delivery };
  });
}
