import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lt, lte, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { outboxEvents } from '../../db/schema/index.js';
import type { Deps } from '../service-context.js';
import { deliveryTarget, postWebhook, settleAttempt, type DeliveryTarget, type OutboxEventRow } from './deliver.js';
import { WAKE_CHANNEL } from './enqueue-event.js';

export interface WebhookDispatcherOptions {
  /** Events claimed per round trip (each of a different aggregate, delivered in parallel). Default 20. */
  readonly batchSize?: number;
  /** How often the loop looks for due events. Default config.WEBHOOK_POLL_INTERVAL. */
  readonly pollIntervalMs?: number;
  /** Only these games' events (tests that share a database; isolating a noisy game). Default: all. */
  readonly gameIds?: readonly string[];
  /** Jitter source, for tests. */
  readonly random?: () => number;
}

export interface WebhookDispatcher {
  /** Delivers the events due now that this instance can claim; resolves with the number of attempts made. */
  tick(): Promise<number>;
  /** Asks for a tick as soon as possible (new events were committed). */
  wake(): void;
  /** Stops the loop; in-flight requests are aborted and their events released for another instance. */
  stop(): Promise<void>;
}

// A claim outlives the request deadline so that a slow but live attempt is never taken over.
const LEASE_MARGIN_MS = 30_000;
/** Bounds the work of one tick so that a backlog does not starve the poll of other instances. */
const MAX_ATTEMPTS_PER_TICK = 1_000;

interface Claimed {
  readonly event: OutboxEventRow;
  readonly leaseToken: string;
}

/**
 * Claims due events: `FOR UPDATE SKIP LOCKED` lets many instances claim side by side without taking
 * the same row, and the lease (a token and a later next_attempt_at) keeps the claim after the commit.
 * An event waits while an earlier event of its aggregate is still pending, so each purchase's events
 * go out in order.
 */
async function claimDue(deps: Deps, options: WebhookDispatcherOptions): Promise<Claimed[]> {
  const earlier = alias(outboxEvents, 'earlier');
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + deps.config.WEBHOOK_TIMEOUT + LEASE_MARGIN_MS);
  return deps.db.transaction(async (tx) => {
    const due = await tx
      .select({ id: outboxEvents.id })
      .from(outboxEvents)
      .where(
        and(
          eq(outboxEvents.status, 'pending'),
          lte(outboxEvents.nextAttemptAt, now),
          options.gameIds ? inArray(outboxEvents.gameId, [...options.gameIds]) : undefined,
          notExists(
            tx
              .select({ one: sql`1` })
              .from(earlier)
              .where(
                and(
                  eq(earlier.aggregateId, outboxEvents.aggregateId),
                  lt(earlier.sequence, outboxEvents.sequence),
                  eq(earlier.status, 'pending'),
                ),
              ),
          ),
        ),
      )
      .orderBy(asc(outboxEvents.nextAttemptAt), asc(outboxEvents.createdAt))
      .limit(options.batchSize ?? 20)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    const leaseToken = randomUUID();
    const rows = await tx
      .update(outboxEvents)
      .set({ leaseToken, nextAttemptAt: leaseUntil })
      .where(
        inArray(
          outboxEvents.id,
          due.map((d) => d.id),
        ),
      )
      .returning();
    return rows.map((event) => ({ event, leaseToken }));
  });
}

/** A dispatcher that runs only when ticked (tests); startWebhookDispatcher adds the loop. */
export function createWebhookDispatcher(
  deps: Deps,
  options: WebhookDispatcherOptions = {},
): WebhookDispatcher & { start(): Promise<void> } {
  const { logger } = deps;
  const pollIntervalMs = options.pollIntervalMs ?? deps.config.WEBHOOK_POLL_INTERVAL;
  const abort = new AbortController();
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let looping = false;
  let wakeRequested = false;
  let stopped = false;
  let unsubscribe: (() => Promise<void>) | null = null;

  async function release(claimed: Claimed): Promise<void> {
    await deps.db
      .update(outboxEvents)
      .set({ leaseToken: null, nextAttemptAt: deps.clock.now() })
      .where(and(eq(outboxEvents.id, claimed.event.id), eq(outboxEvents.leaseToken, claimed.leaseToken)))
      .catch((error: unknown) =>
        logger.warn({ err: error, eventId: claimed.event.id }, 'could not release a webhook claim'),
      );
  }

  /** Seconds from the event's creation to now (the delivery lag). */
  const lagSeconds = (event: Claimed['event']) => (deps.clock.now().getTime() - event.createdAt.getTime()) / 1000;

  async function attempt(claimed: Claimed, targets: Map<string, Promise<DeliveryTarget>>): Promise<void> {
    const { event, leaseToken } = claimed;
    let target = targets.get(event.gameId);
    if (!target) {
      target = deliveryTarget(deps, event.gameId);
      targets.set(event.gameId, target);
    }
    const resolved = await target;
    if (resolved.url === null) {
      // The endpoint was removed after the event was written: keep the event, visible, unsent.
      await deps.db
        .update(outboxEvents)
        .set({ status: 'no_endpoint', nextAttemptAt: null, leaseToken: null, lastError: resolved.reason })
        .where(and(eq(outboxEvents.id, event.id), eq(outboxEvents.leaseToken, leaseToken)));
      deps.metrics.webhookDelivery('no_endpoint', lagSeconds(event));
      return;
    }
    const outcome = await postWebhook(deps, event, resolved, abort.signal);
    if (abort.signal.aborted && !outcome.success) {
      await release(claimed);
      return;
    }
    const { status } = await settleAttempt(deps, event, leaseToken, outcome, options.random);
    deps.metrics.webhookDelivery(
      status === 'delivered' ? 'delivered' : status === 'pending' ? 'failed' : 'gave_up',
      lagSeconds(event),
    );
    if (status === 'failed')
      logger.warn(
        { eventId: event.id, gameId: event.gameId, attempts: event.attempts + 1 },
        'webhook delivery failed for good',
      );
  }

  async function runTick(): Promise<number> {
    let attempts = 0;
    const targets = new Map<string, Promise<DeliveryTarget>>();
    while (!stopped && attempts < MAX_ATTEMPTS_PER_TICK) {
      const claimed = await claimDue(deps, options);
      if (claimed.length === 0) break;
      const results = await Promise.allSettled(claimed.map((c) => attempt(c, targets)));
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') {
          logger.error({ err: result.reason, eventId: claimed[i]!.event.id }, 'webhook attempt could not be recorded');
          await release(claimed[i]!);
        }
      }
      attempts += claimed.length;
    }
    return attempts;
  }

  function tick(): Promise<number> {
    // One tick at a time per instance: a test's tick waits for the loop's, then claims what is left.
    const run = chain.then(runTick);
    chain = run.catch(() => undefined);
    return run;
  }

  async function loop(): Promise<void> {
    timer = null;
    if (stopped) return;
    looping = true;
    try {
      do {
        wakeRequested = false;
        await tick();
      } while (wakeRequested && !stopped);
    } catch (error) {
      logger.warn({ err: error }, 'webhook dispatcher tick failed; retrying at the next poll');
    } finally {
      looping = false;
    }
    if (!stopped) {
      timer = setTimeout(() => void loop(), pollIntervalMs);
      timer.unref();
    }
  }

  function wake(): void {
    if (stopped) return;
    if (looping) {
      wakeRequested = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void loop(), 0);
    timer.unref();
  }

  return {
    tick,
    wake,
    async start() {
      try {
        unsubscribe = await deps.pubsub.subscribe(WAKE_CHANNEL, () => wake());
      } catch (error) {
        logger.warn({ err: error }, 'webhook dispatcher could not subscribe to wake-ups; polling only');
      }
      wake();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await unsubscribe?.().catch(() => undefined);
      await chain;
    },
  };
}

/** Starts delivering webhooks in the background: a poll every WEBHOOK_POLL_INTERVAL, and at once when woken. */
export async function startWebhookDispatcher(
  deps: Deps,
  options: WebhookDispatcherOptions = {},
): Promise<WebhookDispatcher> {
  const dispatcher = createWebhookDispatcher(deps, options);
  await dispatcher.start();
  return dispatcher;
}
