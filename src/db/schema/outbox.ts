import {
  pgTable,
  text,
  timestamp,
  uuid,
  integer,
  boolean,
  index,
  uniqueIndex,
  jsonb,
  check,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { games } from './games.js';

/** What happened, as told to the game's webhook endpoint. */
export const outboxEventTypes = [
  'purchase.succeeded',
  'purchase.failed',
  'purchase.refunded',
  'purchase.disputed',
  'item.consumed',
  'item.granted',
  'webhook.test',
] as const;
export type OutboxEventType = (typeof outboxEventTypes)[number];

/** pending: to deliver (or being delivered); delivered: a 2xx came back; failed: the schedule ran out; no_endpoint: the game had no webhook URL. */
export const outboxStatuses = ['pending', 'delivered', 'failed', 'no_endpoint'] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

/**
 * The transactional outbox: one row per event, written in the same transaction as the change
 * that caused it, then delivered to the game's webhook by the dispatcher (at least once, in order
 * per aggregate).
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    /** `evt_…`: the Standard Webhooks message id, stable across retries for de-duplication. */
    id: text('id').primaryKey(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    type: text('type', { enum: outboxEventTypes }).notNull(),
    /** What the event is about (a purchase id); events of one aggregate are delivered in sequence order. */
    aggregateId: text('aggregate_id').notNull(),
    sequence: integer('sequence').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    status: text('status', { enum: outboxStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When the next attempt is due; while an attempt runs, the end of the dispatcher's lease. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    /** The claim of the dispatcher running the current attempt; its result is recorded only under the same token. */
    leaseToken: uuid('lease_token'),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('outbox_events_aggregate_sequence_uq').on(t.aggregateId, t.sequence),
    index('outbox_events_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('outbox_events_game_created_idx').on(t.gameId, t.createdAt, t.id),
    check('outbox_events_pending_has_due', sql`${t.status} <> 'pending' or ${t.nextAttemptAt} is not null`),
  ],
);

/** One row per delivery attempt (automatic, redelivered or test), for the developer's dashboard. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => outboxEvents.id, { onDelete: 'cascade' }),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** The HTTP status, or null when no answer came (timeout, refused connection). */
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    /** A 2xx answer came back. */
    success: boolean('success').notNull(),
    error: text('error'),
    /** The start of the answer's body, to help the developer debug their endpoint. */
    responseExcerpt: text('response_excerpt'),
    /** automatic (the dispatcher), manual (redeliverEvent) or test (sendTestWebhook). */
    trigger: text('trigger', { enum: ['automatic', 'manual', 'test'] }).notNull(),
    attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('webhook_deliveries_game_attempted_idx').on(t.gameId, t.attemptedAt, t.id),
    index('webhook_deliveries_event_attempted_idx').on(t.eventId, t.attemptedAt, t.id),
  ],
);
