import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql, type PreparedSql } from '../../db/prepared.js';
import {
  games,
  outboxEvents,
  outboxEventTypes,
  type OutboxEventType,
  type OutboxStatus,
} from '../../db/schema/index.js';
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
    await lockAggregate.execute(tx, { namespace: SEQUENCE_LOCK_NAMESPACE, aggregateId });
  }
  const ordinal = new Map<string, number>();
  const params: Record<string, unknown> = {};
  const ids = inputs.map((input, i) => {
    const n = (ordinal.get(input.aggregateId) ?? 0) + 1;
    ordinal.set(input.aggregateId, n);
    const id = newEventId();
    Object.assign(params, {
      [`id${i}`]: id,
      [`gameId${i}`]: input.gameId,
      [`type${i}`]: input.type,
      [`aggregateId${i}`]: input.aggregateId,
      [`n${i}`]: n,
      [`payload${i}`]: JSON.stringify(input.data),
      [`at${i}`]: (input.occurredAt ?? new Date()).toISOString(),
    });
    return id;
  });
  const inserted = await insertStatement(inputs.length).execute<{
    id: string;
    game_id: string;
    type: OutboxEventType;
    aggregate_id: string;
    sequence: number;
    status: OutboxStatus;
  }>(tx, params);
  // RETURNING order is not promised: answer in the order given.
  const byId = new Map(inserted.map((row) => [row.id, row]));
  return ids.map((id) => {
    const row = byId.get(id)!;
    return {
      id,
      gameId: row.game_id,
      type: row.type,
      aggregateId: row.aggregate_id,
      sequence: row.sequence,
      status: row.status,
    };
  });
}

const lockAggregate = preparedSql(
  'webhooks_lock_aggregate',
  sql`select pg_advisory_xact_lock(${sql.placeholder('namespace')}::int, hashtext(${sql.placeholder('aggregateId')}::text))`,
);

const insertStatements = new Map<number, PreparedSql>();

/**
 * The insert of `count` events, prepared once per count (a change writes one or two). Each row's
 * sequence is the aggregate's last number so far plus its ordinal: every row of one statement sees
 * the table as it was before it. Whether the game has an endpoint is read in the same statement.
 */
function insertStatement(count: number): PreparedSql {
  let statement = insertStatements.get(count);
  if (!statement) {
    const p = (name: string, i: number) => sql.placeholder(`${name}${i}`);
    const rows = Array.from(
      { length: count },
      (_, i) =>
        sql`(${p('id', i)}::text, ${p('gameId', i)}::uuid, ${p('type', i)}::text, ${p('aggregateId', i)}::text, ${p('n', i)}::int, ${p('payload', i)}::jsonb, ${p('at', i)}::timestamptz)`,
    );
    statement = preparedSql(
      `webhooks_enqueue_${count}`,
      sql`
      insert into ${outboxEvents} (id, game_id, type, aggregate_id, sequence, payload, created_at, status, next_attempt_at)
      select v.id, v.game_id, v.type, v.aggregate_id,
             (select coalesce(max(o.sequence), 0) from ${outboxEvents} o where o.aggregate_id = v.aggregate_id) + v.n,
             v.payload, v.created_at,
             case when g.has_endpoint then 'pending' else 'no_endpoint' end,
             case when g.has_endpoint then v.created_at end
      from (values ${sql.join(rows, sql`, `)}) as v (id, game_id, type, aggregate_id, n, payload, created_at)
      cross join lateral (select exists (select 1 from ${games} where ${games.id} = v.game_id and ${games.webhookUrl} is not null) as has_endpoint) g
      returning id, game_id, type, aggregate_id, sequence, status`,
    );
    insertStatements.set(count, statement);
  }
  return statement;
}

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
