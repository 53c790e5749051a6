import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
import { outboxEventTypes, type OutboxEventType, type OutboxStatus } from '../../db/schema/index.js';
import type { Deps } from '../service-context.js';
import { sendAndLog } from './publish-purchase-update.js';

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
 * Several events of one change at once (a sale: purchase.succeeded, then item.granted): numbered in
 * the order given, in one statement (the SQL function outbox_enqueue, drizzle/0016: one advisory lock
 * per aggregate held until commit, then one insert). Same contract as enqueueEvent.
 */
export async function enqueueEvents(tx: Executor, inputs: readonly EnqueueEventInput[]): Promise<EnqueuedEvent[]> {
  if (inputs.length === 0) return [];
  const batch = outboxBatch(inputs);
  const rows = await enqueueStatement.execute<OutboxEnqueued>(tx, { events: batch.json });
  return enqueuedInOrder(inputs, batch, rows);
}

/** Events ready for outbox_enqueue (or a function that calls it): their ids, and the JSON argument. */
export interface OutboxBatch {
  readonly ids: readonly string[];
  readonly json: string;
}

/** Checks the events' types and gives each its id: the argument of outbox_enqueue. */
export function outboxBatch(inputs: readonly EnqueueEventInput[]): OutboxBatch {
  for (const input of inputs) {
    if (!(outboxEventTypes as readonly string[]).includes(input.type) || input.type === ('webhook.test' as string)) {
      throw new Error(`Unknown event type ${input.type}`);
    }
  }
  const events = inputs.map((input) => ({
    id: newEventId(),
    gameId: input.gameId,
    type: input.type,
    aggregateId: input.aggregateId,
    payload: input.data,
    createdAt: (input.occurredAt ?? new Date()).toISOString(),
  }));
  return { ids: events.map((e) => e.id), json: JSON.stringify(events) };
}

/** What outbox_enqueue answers for each event it wrote. */
export interface OutboxEnqueued {
  readonly id: string;
  readonly sequence: number;
  readonly status: OutboxStatus;
}

/** The events written, in the order they were given (the order of rows written is not promised). */
export function enqueuedInOrder(
  inputs: readonly EnqueueEventInput[],
  batch: OutboxBatch,
  rows: readonly OutboxEnqueued[],
): EnqueuedEvent[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return inputs.map((input, i) => {
    const id = batch.ids[i]!;
    const row = byId.get(id);
    if (!row) throw new Error(`outbox event ${id} was not written`);
    return {
      id,
      gameId: input.gameId,
      type: input.type,
      aggregateId: input.aggregateId,
      sequence: row.sequence,
      status: row.status,
    };
  });
}

const enqueueStatement = preparedSql(
  'webhooks_enqueue',
  sql`select id, sequence, status from outbox_enqueue(${sql.placeholder('events')}::jsonb)`,
);

/** The pub/sub channel on which dispatchers of every instance listen for new events. */
export const WAKE_CHANNEL = 'webhooks:wake';

/**
 * After the commit: wakes the webhook dispatchers of every instance so that the events go out at
 * once rather than at the next poll. Sent, not awaited (off the caller's latency path, like
 * publishPurchaseUpdate); never throws: a failure is logged and the poll delivers anyway.
 */
export function notifyEvents(
  deps: Pick<Deps, 'pubsub' | 'logger'>,
  events: EnqueuedEvent | readonly EnqueuedEvent[],
): void {
  const list = (Array.isArray(events) ? events : [events]) as readonly EnqueuedEvent[];
  const pending = list.filter((e) => e.status === 'pending');
  if (pending.length === 0) return;
  sendAndLog(deps, WAKE_CHANNEL, JSON.stringify(pending.map((e) => e.id)), (error) =>
    deps.logger.warn({ err: error }, 'could not wake the webhook dispatchers; the next poll delivers'),
  );
}
