import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookDispatcher, type WebhookDispatcher } from '../../../src/modules/webhooks/index.js';
import { verifyWebhook } from '../../../src/sdk/verify-webhook.js';
import type { ManualClock } from '../../../src/shared/clock.js';
import type { TestApp } from '../../helpers/test-app.js';
import { graphql } from '../../helpers/graphql.js';
import {
  createGameWithWebhook,
  createWebhookTestApp,
  enqueue,
  futureClock,
  outboxRow,
  startReceiver,
  type Receiver,
} from './fixtures.js';

const DELIVERIES = graphql(`
  query WebhookDeliveries($gameId: ID!, $eventId: ID) {
    webhookDeliveries(gameId: $gameId, eventId: $eventId, first: 50) {
      edges { node { eventId statusCode success error trigger url event { eventId status attempts } } }
    }
  }
`);

describe('webhook delivery', () => {
  let clock: ManualClock;
  let app: TestApp;
  let receiver: Receiver;
  const dispatchers: WebhookDispatcher[] = [];

  beforeAll(async () => {
    clock = futureClock();
    app = await createWebhookTestApp(clock);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    for (const d of dispatchers) await d.stop();
    await receiver?.close();
    await app?.close();
  });

  function dispatcherFor(gameId: string, random?: () => number): WebhookDispatcher {
    const dispatcher = createWebhookDispatcher(app.deps, { gameIds: [gameId], random });
    dispatchers.push(dispatcher);
    return dispatcher;
  }

  it('delivers once the receiver recovers, every attempt with the same id and body, and the signature verifies', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const dispatcher = dispatcherFor(game.gameId);
    receiver.failNext(3);
    const [event] = await enqueue(app, game.gameId, [
      { aggregateId: crypto.randomUUID(), data: { purchaseId: 'p1', amount: '499' } },
    ]);
    const mine = () => receiver.requests.filter((r) => r.id === event!.id);

    await dispatcher.tick();
    for (let attempt = 2; attempt <= 4; attempt++) {
      const row = await outboxRow(app, event!.id);
      expect(row.status).toBe('pending');
      clock.set(row.next_attempt_at!);
      await dispatcher.tick();
      expect(mine()).toHaveLength(attempt);
    }

    const requests = mine();
    expect(requests.map((r) => r.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    const last = requests[3]!;
    const verified = verifyWebhook({
      payload: last.body,
      headers: last.headers,
      secret: game.webhookSecret,
      now: clock.now(),
    });
    expect(verified).toMatchObject({
      id: event!.id,
      type: 'purchase.succeeded',
      data: { purchaseId: 'p1', amount: '499' },
    });
    expect(JSON.parse(last.body).timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await outboxRow(app, event!.id)).status).toBe('delivered');

    // every attempt is listed for the developer
    const listed = await app.gql(
      DELIVERIES,
      { gameId: game.globalId, eventId: event!.id },
      { token: game.developerToken },
    );
    const nodes = listed.data.webhookDeliveries.edges.map((e) => e.node);
    expect(nodes.map((n) => n.statusCode)).toEqual([500, 500, 500, 200]);
    expect(nodes.every((n) => n.trigger === 'AUTOMATIC' && n.url === receiver.url)).toBe(true);
    expect(nodes[3]?.event).toEqual({ eventId: event!.id, status: 'DELIVERED', attempts: 4 });
  });

  it('retries by the documented schedule with ±10 % jitter, then marks the event failed', async () => {
    const schedule = app.config.WEBHOOK_RETRY_SCHEDULE;
    expect(schedule.reduce((a, b) => a + b, 0)).toBeGreaterThan(2.5 * 86_400_000); // about 3 days
    const game = await createGameWithWebhook(app, receiver.url);
    const dispatcher = dispatcherFor(game.gameId);
    const [event] = await enqueue(app, game.gameId, [{ aggregateId: crypto.randomUUID() }]);
    receiver.answerWith((r) => (r.id === event!.id ? 503 : 200));
    try {
      await dispatcher.tick();
      for (const [i, delay] of schedule.entries()) {
        const row = await outboxRow(app, event!.id);
        expect(row).toMatchObject({ status: 'pending', attempts: i + 1, last_error: 'HTTP 503' });
        const wait = row.next_attempt_at!.getTime() - clock.now().getTime();
        expect(wait).toBeGreaterThanOrEqual(Math.floor(delay * 0.9));
        expect(wait).toBeLessThanOrEqual(Math.ceil(delay * 1.1));
        // not a moment early
        clock.set(row.next_attempt_at!.getTime() - 1);
        expect(await dispatcher.tick()).toBe(0);
        clock.set(row.next_attempt_at!);
        expect(await dispatcher.tick()).toBe(1);
      }
      const final = await outboxRow(app, event!.id);
      expect(final).toMatchObject({ status: 'failed', attempts: schedule.length + 1, next_attempt_at: null });
      clock.advance(30 * 86_400_000);
      expect(await dispatcher.tick()).toBe(0);
      expect(receiver.requests.filter((r) => r.id === event!.id)).toHaveLength(schedule.length + 1);
    } finally {
      receiver.answerWith(null);
    }
  });

  it('spreads retries with jitter rather than at the same instant', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const dispatcher = dispatcherFor(game.gameId);
    const events = await enqueue(
      app,
      game.gameId,
      Array.from({ length: 8 }, () => ({ aggregateId: crypto.randomUUID() })),
    );
    const ids = new Set(events.map((e) => e.id));
    receiver.answerWith((r) => (ids.has(r.id) ? 500 : 200));
    try {
      await dispatcher.tick();
      const due = await Promise.all(events.map((e) => outboxRow(app, e.id)));
      expect(new Set(due.map((r) => r.next_attempt_at!.getTime())).size).toBeGreaterThan(1);
    } finally {
      receiver.answerWith(null);
    }
  });

  it('delivers the events of one purchase in order, holding later ones while an earlier one is retried', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const dispatcher = dispatcherFor(game.gameId);
    const purchase = crypto.randomUUID();
    const other = crypto.randomUUID();
    const written = await enqueue(app, game.gameId, [
      { aggregateId: purchase, type: 'purchase.succeeded' },
      { aggregateId: purchase, type: 'item.granted' },
      { aggregateId: other, type: 'purchase.succeeded' },
      { aggregateId: purchase, type: 'purchase.refunded' },
    ]);
    expect(written.map((e) => e.sequence)).toEqual([1, 2, 1, 3]);
    const [first, second, unrelated, third] = written;
    let failedOnce = false;
    receiver.answerWith((r) => {
      if (r.id === first!.id && !failedOnce) {
        failedOnce = true;
        return 500;
      }
      return 200;
    });
    try {
      await dispatcher.tick();
      const seen = () => receiver.requests.filter((r) => written.some((e) => e.id === r.id)).map((r) => r.id);
      // the first failed; the other purchase went ahead; nothing later of this purchase jumped the queue
      expect([...seen()].sort()).toEqual([first!.id, unrelated!.id].sort());
      expect((await outboxRow(app, second!.id)).status).toBe('pending');

      clock.set((await outboxRow(app, first!.id)).next_attempt_at!);
      await dispatcher.tick();
      expect(seen().slice(2)).toEqual([first!.id, second!.id, third!.id]);
      for (const e of written) expect((await outboxRow(app, e.id)).status).toBe('delivered');
    } finally {
      receiver.answerWith(null);
    }
  });

  it('keeps the events of a game without a webhook URL as no_endpoint and never sends them', async () => {
    const game = await createGameWithWebhook(app, null);
    const dispatcher = dispatcherFor(game.gameId);
    const [event] = await enqueue(app, game.gameId, [{ aggregateId: crypto.randomUUID() }]);
    expect(event!.status).toBe('no_endpoint');
    expect(await dispatcher.tick()).toBe(0);
    expect(await outboxRow(app, event!.id)).toMatchObject({ status: 'no_endpoint', attempts: 0 });
  });

  it('records a timeout as a failed attempt without a status code ("no response")', async () => {
    const slow = await startReceiver({ delayMs: 1_500 });
    const timeoutApp = await createWebhookTestApp(clock, { env: { WEBHOOK_TIMEOUT: '300ms' } });
    try {
      const game = await createGameWithWebhook(timeoutApp, slow.url);
      const dispatcher = createWebhookDispatcher(timeoutApp.deps, { gameIds: [game.gameId] });
      const [event] = await enqueue(timeoutApp, game.gameId, [{ aggregateId: crypto.randomUUID() }]);
      await dispatcher.tick();
      await dispatcher.stop();
      expect(await outboxRow(timeoutApp, event!.id)).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_error: 'no response',
      });
      const listed = await timeoutApp.gql(
        DELIVERIES,
        { gameId: game.globalId, eventId: event!.id },
        { token: game.developerToken },
      );
      expect(listed.data.webhookDeliveries.edges[0]?.node).toMatchObject({
        statusCode: null,
        success: false,
        error: 'no response',
      });
    } finally {
      await timeoutApp.close();
      await slow.close();
    }
  });
});
