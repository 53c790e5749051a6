import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startWebhookDispatcher,
  createWebhookDispatcher,
  type WebhookDispatcher,
} from '../../../src/modules/webhooks/index.js';
import type { ManualClock } from '../../../src/shared/clock.js';
import type { TestApp } from '../../helpers/test-app.js';
import {
  createGameWithWebhook,
  createWebhookTestApp,
  enqueue,
  futureClock,
  outboxRow,
  startReceiver,
  type Receiver,
} from './fixtures.js';
import { waitFor } from '../../helpers/processes.js';

describe('webhook delivery from several instances', () => {
  let clock: ManualClock;
  let a: TestApp;
  let b: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    clock = futureClock();
    [a, b] = await Promise.all([createWebhookTestApp(clock), createWebhookTestApp(clock)]);
    // slow answers widen the window in which both instances look at the same rows
    receiver = await startReceiver({ delayMs: 40 });
  });
  afterAll(async () => {
    await receiver?.close();
    await a?.close();
    await b?.close();
  });

  it('delivers each event exactly once when two instances tick side by side', async () => {
    const game = await createGameWithWebhook(a, receiver.url);
    const purchases = Array.from({ length: 15 }, () => crypto.randomUUID());
    // 15 purchases, two events each: 30 events, ordered per purchase
    const events = await enqueue(
      a,
      game.gameId,
      purchases.flatMap((p) => [
        { aggregateId: p, type: 'purchase.succeeded' as const },
        { aggregateId: p, type: 'item.granted' as const },
      ]),
    );
    const one = createWebhookDispatcher(a.deps, { gameIds: [game.gameId], batchSize: 4 });
    const two = createWebhookDispatcher(b.deps, { gameIds: [game.gameId], batchSize: 4 });
    const attempts = await Promise.all([one.tick(), two.tick(), one.tick(), two.tick()]);
    await Promise.all([one.stop(), two.stop()]);

    const ids = new Set(events.map((e) => e.id));
    const received = receiver.requests.filter((r) => ids.has(r.id)).map((r) => r.id);
    expect(received).toHaveLength(30);
    expect(new Set(received).size).toBe(30);
    expect(attempts.reduce((x, y) => x + y, 0)).toBe(30);
    // both took a share: the claim really is concurrent, not one instance doing it all
    expect(attempts[0]! + attempts[2]!).toBeGreaterThan(0);
    expect(attempts[1]! + attempts[3]!).toBeGreaterThan(0);
    for (const p of purchases) {
      const [succeeded, granted] = events.filter((e) => e.aggregateId === p);
      expect(received.indexOf(succeeded!.id)).toBeLessThan(received.indexOf(granted!.id));
    }
    const rows = await a.database.pool!.query('select count(*)::int as n from webhook_deliveries where game_id = $1', [
      game.gameId,
    ]);
    expect(rows.rows[0].n).toBe(30);
  });

  it('the running loops of both instances deliver a new event once, woken through pub/sub', async () => {
    const game = await createGameWithWebhook(a, receiver.url);
    // a long poll: only the wake-up published after the commit can explain a prompt delivery
    const loops: WebhookDispatcher[] = await Promise.all([
      startWebhookDispatcher(a.deps, { gameIds: [game.gameId], pollIntervalMs: 3_600_000 }),
      startWebhookDispatcher(b.deps, { gameIds: [game.gameId], pollIntervalMs: 3_600_000 }),
    ]);
    try {
      // the loops ran their first (empty) tick at start; wait until both are idle
      await Promise.all(loops.map((l) => l.tick()));
      const [event] = await enqueue(b, game.gameId, [{ aggregateId: crypto.randomUUID() }]);
      await waitFor(
        async () => (await outboxRow(a, event!.id)).status === 'delivered',
        5_000,
        'the event to be delivered',
      );
      await Promise.all(loops.map((l) => l.tick()));
      expect(receiver.requests.filter((r) => r.id === event!.id)).toHaveLength(1);
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }
  });

  it('takes over an event whose claim outlived its lease (an instance died mid-attempt)', async () => {
    const game = await createGameWithWebhook(a, receiver.url);
    const [event] = await enqueue(a, game.gameId, [{ aggregateId: crypto.randomUUID() }]);
    // a dead instance's claim: a lease token and a lease end, never settled
    await a.database.pool!.query(
      `update outbox_events set lease_token = gen_random_uuid(), next_attempt_at = $2 where id = $1`,
      [event!.id, new Date(clock.now().getTime() + 40_000)],
    );
    const survivor = createWebhookDispatcher(b.deps, { gameIds: [game.gameId] });
    expect(await survivor.tick()).toBe(0);
    clock.advance(40_001);
    expect(await survivor.tick()).toBe(1);
    await survivor.stop();
    expect((await outboxRow(a, event!.id)).status).toBe('delivered');
  });
});
