import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { games, outboxEvents, outboxEventTypes, type OutboxEventType, type OutboxStatus } from '../../db/schema/index.js';
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
  const [event] = await enqueueEvents(tx, [input]);
  return event!;
}

/**
 * Several events of one change at once (a sale: purchase.succeeded, then item.granted): one lock
 * per aggregate and one insert, numbered in the order given. Same contract as enqueueEvent.
 */
export async function enqueueEvents(tx: Executor, inputs: readonly EnqueueEventInput[]): Promise<EnqueuedEvent[]> {
  if (inputs.length === 0) return [];
  for (const input of inputs) {
    if (!(outboxEventTypes as readonly string[]).includes(input.type) || input.type === ('webhook.test' as string)) {
      throw new Error(`Unknown event type ${input.type}`);
    }
  }
  // Held until commit: a concurrent change of the same aggregate waits, then numbers after these.
  // Taken in a fixed order, so two changes touching the same aggregates never deadlock.
  for (const aggregateId of [...new Set(inputs.map((i) => i.aggregateId))].sort()) {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEQUENCE_LOCK_NAMESPACE}, hashtext(${aggregateId}))`);
  }
  const ordinal = new Map<string, number>();
  const rows = inputs.map((input) => {
    const n = (ordinal.get(input.aggregateId) ?? 0) + 1;
    ordinal.set(input.aggregateId, n);
    const occurredAt = input.occurredAt ?? new Date();
    // Whether the game has an endpoint is read in the same statement (no separate game lookup).
    const hasEndpoint = sql`exists (select 1 from ${games} where ${games.id} = ${input.gameId} and ${games.webhookUrl} is not null)`;
    return {
      id: newEventId(),
      gameId: input.gameId,
      type: input.type,
      aggregateId: input.aggregateId,
      // Every row of one statement sees the table as it was before it: the last number so far, plus n.
      sequence: sql`(select coalesce(max(${outboxEvents.sequence}), 0) from ${outboxEvents} where ${outboxEvents.aggregateId} = ${input.aggregateId}) + ${n}`,
      payload: input.data,
      createdAt: occurredAt,
      status: sql`case when ${hasEndpoint} then 'pending' else 'no_endpoint' end`,
      nextAttemptAt: sql`case when ${hasEndpoint} then ${occurredAt.toISOString()}::timestamptz end`,
    };
  });
  const inserted = await tx.insert(outboxEvents).values(rows).returning({
    id: outboxEvents.id,
    gameId: outboxEvents.gameId,
    type: outboxEvents.type,
    aggregateId: outboxEvents.aggregateId,
    sequence: outboxEvents.sequence,
    status: outboxEvents.status,
  });
  // RETURNING order is not promised: answer in the order given.
  const byId = new Map(inserted.map((row) => [row.id, row]));
  return rows.map((row) => byId.get(row.id)!);
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
