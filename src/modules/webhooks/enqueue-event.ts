import { randomBytes } from 'node:crypto';
import { eq, max, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { outboxEvents, outboxEventTypes, type OutboxEventType, type OutboxStatus } from '../../db/schema/index.js';
import { findGame } from '../games/index.js';
import type { Deps } from '../service-context.js';

/** The events a domain change may announce (webhook.test is sent only by sendTestWebhook). */
export type DomainEventType = Exclude<OutboxEventType, 'webhook.test'>;

export interface EnqueueEventInput {
  readonly gameId: string;
  readonly type: DomainEventType;
  /** What the event is about, usually the purchase id; events of one aggregate are delivered in order. */
  readonly aggregateId: string;
  /** The event's `data`, as the game server will receive it (JSON). */
  readonly data: Record<string, unknown>;
  /** When it happened; pass `deps.clock.now()` so that tests with a manual clock stay consistent. */
  readonly occurredAt?: Date;
}

export interface EnqueuedEvent {
  /** `evt_…`: the webhook id, stable across retries. */
  readonly id: string;
  readonly gameId: string;
  readonly type: OutboxEventType;
  readonly aggregateId: string;
  readonly sequence: number;
  readonly status: OutboxStatus;
}

/** An arbitrary constant: the advisory-lock namespace that serializes sequence numbers per aggregate. */
const SEQUENCE_LOCK_NAMESPACE = 7_301_948;

let lastMs = 0;
let counter = 0;

/**
 * A new event id, `evt_` + 32 hex digits: milliseconds, a counter, then 64 random bits, so that ids
 * sort in creation order (listings of events written in one instant keep their order).
 */
export function newEventId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    counter += 1;
    if (counter > 0xffff) {
      lastMs += 1;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0;
  }
  return `evt_${ms.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomBytes(8).toString('hex')}`;
}

/**
 * Writes an event into the outbox. Call it inside the transaction of the change it announces, so
 * that the event exists if and only if the change committed; after the commit, call notifyEvents.
 * An event of a game without a webhook URL is kept as `no_endpoint` (visible, never sent).
 */
export async function enqueueEvent(tx: Executor, input: EnqueueEventInput): Promise<EnqueuedEvent> {
  if (!(outboxEventTypes as readonly string[]).includes(input.type) || input.type === ('webhook.test' as string)) {
    throw new Error(`Unknown event type ${input.type}`);
  }
  const game = await findGame(tx, input.gameId);
  if (!game) throw new Error(`enqueueEvent: game ${input.gameId} does not exist`);
  // Held until commit: a concurrent change of the same aggregate waits, then numbers after this one.
  await tx.execute(sql`select pg_advisory_xact_lock(${SEQUENCE_LOCK_NAMESPACE}, hashtext(${input.aggregateId}))`);
  const [last] = await tx
    .select({ sequence: max(outboxEvents.sequence) })
    .from(outboxEvents)
    .where(eq(outboxEvents.aggregateId, input.aggregateId));
  const occurredAt = input.occurredAt ?? new Date();
  const status: OutboxStatus = game.webhookUrl ? 'pending' : 'no_endpoint';
  const [row] = await tx
    .insert(outboxEvents)
    .values({
      id: newEventId(),
      gameId: input.gameId,
      type: input.type,
      aggregateId: input.aggregateId,
      sequence: (last?.sequence ?? 0) + 1,
      payload: input.data,
      createdAt: occurredAt,
      status,
      nextAttemptAt: status === 'pending' ? occurredAt : null,
    })
    .returning({
      id: outboxEvents.id,
      gameId: outboxEvents.gameId,
      type: outboxEvents.type,
      aggregateId: outboxEvents.aggregateId,
      sequence: outboxEvents.sequence,
      status: outboxEvents.status,
    });
  return row!;
}

/** The pub/sub channel on which dispatchers of every instance listen for new events. */
export const WAKE_CHANNEL = 'webhooks:wake';

/**
 * After the commit: wakes the webhook dispatchers of every instance so that the events go out at
 * once rather than at the next poll. Never throws (the poll delivers them anyway).
 */
export async function notifyEvents(deps: Pick<Deps, 'pubsub' | 'logger'>, events: EnqueuedEvent | readonly EnqueuedEvent[]): Promise<void> {
  const list = (Array.isArray(events) ? events : [events]) as readonly EnqueuedEvent[];
  const pending = list.filter((e) => e.status === 'pending');
  if (pending.length === 0) return;
  try {
    await deps.pubsub.publish(WAKE_CHANNEL, JSON.stringify(pending.map((e) => e.id)));
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not wake the webhook dispatchers; the next poll delivers');
  }
}
