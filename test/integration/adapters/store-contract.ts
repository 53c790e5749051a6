import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import type { IdempotencyStore, PubSub, RateLimiter, StoreHealth, StoredResponse } from '../../../src/shared/ports.js';
import { waitFor } from '../../helpers/processes.js';

/** One store implementation under test, built around a ManualClock the suite controls. */
export interface StoreUnderTest {
  readonly idempotency: IdempotencyStore;
  /** Built on the suite's ManualClock. */
  readonly rateLimiter: RateLimiter;
  readonly pubsub: PubSub;
  readonly health: StoreHealth;
  /** Lets TTLs run out by `ms`: moves the ManualClock and, where the store keeps real time (Redis PX), waits. */
  elapse(ms: number): Promise<void>;
  /** Whether the store holds a subscription for `channel` (Redis: PUBSUB NUMSUB on the prefixed channel). */
  isChannelSubscribed(channel: string): Promise<boolean>;
  close(): Promise<void>;
}

export type StoreFactory = (clock: ManualClock) => Promise<StoreUnderTest>;

const unique = (label: string) => `${label}:${randomUUID()}`;

const response = (body: string, status = 200): StoredResponse => ({
  status,
  headers: { 'content-type': 'application/graphql-response+json; charset=utf-8', 'x-request-id': 'r-1' },
  body,
});

/** The contract both the Redis and the in-process stores pass. */
export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name} store contract`, () => {
    const start = Date.UTC(2030, 0, 1, 12, 0, 0);
    const clock = new ManualClock(start);
    let store: StoreUnderTest;

    beforeAll(async () => {
      store = await factory(clock);
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('idempotency', () => {
      const LOCK = 60_000;
      const RETAIN = 86_400_000;

      it('acquires a free key and hands out an owner token', async () => {
        const result = await store.idempotency.begin(unique('k'), 'fp-1', LOCK);
        expect(result.state).toBe('acquired');
        if (result.state === 'acquired') expect(result.ownerToken).toMatch(/\S{16,}/);
      });

      it('reports in_progress with the first request fingerprint and a retry-after within the lock', async () => {
        const key = unique('k');
        await store.idempotency.begin(key, 'fp-first', LOCK);
        const second = await store.idempotency.begin(key, 'fp-other', LOCK);
        expect(second.state).toBe('in_progress');
        if (second.state !== 'in_progress') return;
        expect(second.fingerprint).toBe('fp-first');
        expect(second.retryAfterMs).toBeGreaterThan(0);
        expect(second.retryAfterMs).toBeLessThanOrEqual(LOCK);
      });

      it('replays the stored response exactly: status, headers and body bytes', async () => {
        const key = unique('k');
        const body =
          '{"data":{"createPurchase":{"id":"p_1","amount":{"amountMinor":1999,"currency":"USD"},' +
          '"note":"caf\u00e9 \u{1F3AE} \\"quoted\\" back\\\\slash / \u2028 \u0000 \ud800 tab\t nl\n"}}}';
        const stored: StoredResponse = {
          status: 402,
          headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-zeta': 'z', 'x-alpha': 'a' },
          body: body + 'x'.repeat(200_000),
        };
        const begun = await store.idempotency.begin(key, 'fp', LOCK);
        if (begun.state !== 'acquired') throw new Error('expected the lock');
        expect(await store.idempotency.complete(key, begun.ownerToken, stored, RETAIN)).toBe(true);

        const replay = await store.idempotency.begin(key, 'fp', LOCK);
        expect(replay.state).toBe('completed');
        if (replay.state !== 'completed') return;
        expect(replay.fingerprint).toBe('fp');
        expect(replay.response.status).toBe(402);
        expect(replay.response.body).toBe(stored.body);
        expect(Buffer.from(replay.response.body, 'utf16le').equals(Buffer.from(stored.body, 'utf16le'))).toBe(true);
        expect(replay.response.headers).toStrictEqual(stored.headers);
        expect(Object.keys(replay.response.headers)).toEqual(Object.keys(stored.headers));
      });

      it('reports the original fingerprint on a completed key so a different request can be refused', async () => {
        const key = unique('k');
        const begun = await store.idempotency.begin(key, 'fp-original', LOCK);
        if (begun.state !== 'acquired') throw new Error('expected the lock');
        await store.idempotency.complete(key, begun.ownerToken, response('{"ok":true}'), RETAIN);
        const reused = await store.idempotency.begin(key, 'fp-different', LOCK);
        expect(reused).toMatchObject({ state: 'completed', fingerprint: 'fp-original' });
      });

      it('release lets a retry acquire the key again', async () => {
        const key = unique('k');
        const first = await store.idempotency.begin(key, 'fp', LOCK);
        if (first.state !== 'acquired') throw new Error('expected the lock');
        await store.idempotency.release(key, first.ownerToken);
        const retry = await store.idempotency.begin(key, 'fp', LOCK);
        expect(retry.state).toBe('acquired');
        if (retry.state === 'acquired') expect(retry.ownerToken).not.toBe(first.ownerToken);
      });

      it('a stranger token can neither complete nor release the lock', async () => {
        const key = unique('k');
        const owner = await store.idempotency.begin(key, 'fp', LOCK);
        if (owner.state !== 'acquired') throw new Error('expected the lock');
        expect(await store.idempotency.complete(key, 'not-the-owner', response('{"stolen":true}'), RETAIN)).toBe(false);
        await store.idempotency.release(key, 'not-the-owner');
        expect((await store.idempotency.begin(key, 'fp', LOCK)).state).toBe('in_progress');
        expect(await store.idempotency.complete(key, owner.ownerToken, response('{"mine":true}'), RETAIN)).toBe(true);
        const replay = await store.idempotency.begin(key, 'fp', LOCK);
        expect(replay.state === 'completed' && replay.response.body).toBe('{"mine":true}');
      });

      it('a completed key is neither overwritten by a second complete nor dropped by a release', async () => {
        const key = unique('k');
        const owner = await store.idempotency.begin(key, 'fp', LOCK);
        if (owner.state !== 'acquired') throw new Error('expected the lock');
        expect(await store.idempotency.complete(key, owner.ownerToken, response('{"n":1}'), RETAIN)).toBe(true);
        expect(await store.idempotency.complete(key, owner.ownerToken, response('{"n":2}'), RETAIN)).toBe(false);
        await store.idempotency.release(key, owner.ownerToken);
        const replay = await store.idempotency.begin(key, 'fp', LOCK);
        expect(replay.state === 'completed' && replay.response.body).toBe('{"n":1}');
      });

      it('an expired lock frees the key, and its stale owner cannot complete or release the successor', async () => {
        const key = unique('k');
        const stale = await store.idempotency.begin(key, 'fp', 200);
        if (stale.state !== 'acquired') throw new Error('expected the lock');
        await store.elapse(300);
        const successor = await store.idempotency.begin(key, 'fp', LOCK);
        expect(successor.state).toBe('acquired');
        expect(await store.idempotency.complete(key, stale.ownerToken, response('{"stale":true}'), RETAIN)).toBe(false);
        await store.idempotency.release(key, stale.ownerToken);
        expect((await store.idempotency.begin(key, 'fp', LOCK)).state).toBe('in_progress');
      });

      it('forgets a completed response after the retention', async () => {
        const key = unique('k');
        const owner = await store.idempotency.begin(key, 'fp', LOCK);
        if (owner.state !== 'acquired') throw new Error('expected the lock');
        await store.idempotency.complete(key, owner.ownerToken, response('{"kept":"briefly"}'), 300);
        expect((await store.idempotency.begin(key, 'fp', LOCK)).state).toBe('completed');
        await store.elapse(400);
        expect((await store.idempotency.begin(key, 'fp', LOCK)).state).toBe('acquired');
      });

      it('200 concurrent begins on one key: exactly one acquires, the others see it in progress', async () => {
        const key = unique('k');
        const results = await Promise.all(
          Array.from({ length: 200 }, () => store.idempotency.begin(key, 'fp-same', LOCK)),
        );
        expect(results.filter((r) => r.state === 'acquired')).toHaveLength(1);
        const others = results.filter((r) => r.state !== 'acquired');
        expect(others).toHaveLength(199);
        for (const other of others) expect(other).toMatchObject({ state: 'in_progress', fingerprint: 'fp-same' });
      });

      it('keys are independent of each other', async () => {
        const a = unique('k');
        const b = unique('k');
        expect((await store.idempotency.begin(a, 'fp', LOCK)).state).toBe('acquired');
        expect((await store.idempotency.begin(b, 'fp', LOCK)).state).toBe('acquired');
      });

      it('rejects a lock TTL or retention that is not a positive integer', async () => {
        await expect(store.idempotency.begin(unique('k'), 'fp', 0)).rejects.toThrow(RangeError);
        const owner = await store.idempotency.begin(unique('k'), 'fp', LOCK);
        if (owner.state !== 'acquired') throw new Error('expected the lock');
        await expect(store.idempotency.complete('k', owner.ownerToken, response('{}'), 1.5)).rejects.toThrow(
          RangeError,
        );
      });
    });

    describe('rate limiter', () => {
      const WINDOW = 60_000;

      it('allows up to the limit, then refuses without counting', async () => {
        const key = unique('rl');
        const counts: number[] = [];
        for (let i = 0; i < 3; i++) {
          const result = await store.rateLimiter.consume(key, 3, WINDOW);
          expect(result).toMatchObject({ allowed: true, limit: 3, retryAfterMs: 0 });
          counts.push(result.count);
          clock.advance(1000);
        }
        expect(counts).toEqual([1, 2, 3]);
        const refused = await store.rateLimiter.consume(key, 3, WINDOW);
        expect(refused).toMatchObject({ allowed: false, count: 3, limit: 3 });
        expect((await store.rateLimiter.peek(key, 3, WINDOW)).count).toBe(3);
      });

      it('is exact at the window edge: a hit counts until exactly one window after it', async () => {
        const key = unique('rl');
        const t0 = clock.now().getTime();
        await store.rateLimiter.consume(key, 2, WINDOW);
        clock.set(t0 + 10_000);
        await store.rateLimiter.consume(key, 2, WINDOW);

        clock.set(t0 + WINDOW - 1);
        const justBefore = await store.rateLimiter.consume(key, 2, WINDOW);
        expect(justBefore).toMatchObject({ allowed: false, count: 2, retryAfterMs: 1 });

        clock.set(t0 + WINDOW);
        const atEdge = await store.rateLimiter.consume(key, 2, WINDOW);
        expect(atEdge).toMatchObject({ allowed: true, count: 2, retryAfterMs: 0 });

        clock.set(t0 + 10_000 + WINDOW - 1);
        expect((await store.rateLimiter.consume(key, 2, WINDOW)).allowed).toBe(false);
        clock.set(t0 + 10_000 + WINDOW);
        expect((await store.rateLimiter.consume(key, 2, WINDOW)).allowed).toBe(true);
      });

      it('retryAfterMs is when a slot frees, and consuming then succeeds', async () => {
        const key = unique('rl');
        const t0 = clock.now().getTime();
        await store.rateLimiter.consume(key, 2, WINDOW);
        clock.set(t0 + 15_000);
        await store.rateLimiter.consume(key, 2, WINDOW);
        clock.set(t0 + 20_000);
        const refused = await store.rateLimiter.consume(key, 2, WINDOW);
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterMs).toBe(WINDOW - 20_000);
        expect(refused.resetMs).toBe(WINDOW - 20_000);
        clock.advance(refused.retryAfterMs);
        expect((await store.rateLimiter.consume(key, 2, WINDOW)).allowed).toBe(true);
      });

      it('retryAfterMs accounts for every hit above a lowered limit', async () => {
        const key = unique('rl');
        const t0 = clock.now().getTime();
        for (const offset of [0, 5_000, 9_000]) {
          clock.set(t0 + offset);
          await store.rateLimiter.consume(key, 10, WINDOW);
        }
        clock.set(t0 + 10_000);
        // with a limit of 2, the 2nd oldest hit (at +5 s) must leave before one more fits
        const refused = await store.rateLimiter.consume(key, 2, WINDOW);
        expect(refused).toMatchObject({
          allowed: false,
          count: 3,
          retryAfterMs: WINDOW - 5_000,
          resetMs: WINDOW - 10_000,
        });
      });

      it('resetMs is when the oldest hit leaves, and 0 for an empty window', async () => {
        const key = unique('rl');
        expect(await store.rateLimiter.peek(key, 5, WINDOW)).toEqual({
          allowed: true,
          count: 0,
          limit: 5,
          retryAfterMs: 0,
          resetMs: 0,
        });
        await store.rateLimiter.consume(key, 5, WINDOW);
        clock.advance(12_345);
        const result = await store.rateLimiter.consume(key, 5, WINDOW);
        expect(result).toMatchObject({ allowed: true, count: 2, resetMs: WINDOW - 12_345 });
      });

      it('peek reports without counting', async () => {
        const key = unique('rl');
        await store.rateLimiter.consume(key, 2, WINDOW);
        for (let i = 0; i < 5; i++)
          expect(await store.rateLimiter.peek(key, 2, WINDOW)).toMatchObject({ allowed: true, count: 1 });
        await store.rateLimiter.consume(key, 2, WINDOW);
        const full = await store.rateLimiter.peek(key, 2, WINDOW);
        expect(full.allowed).toBe(false);
        expect(full.retryAfterMs).toBeGreaterThan(0);
      });

      it('record counts every hit whatever the limit, and consume sees them', async () => {
        const key = unique('rl');
        const counts: number[] = [];
        for (let i = 0; i < 5; i++) counts.push(await store.rateLimiter.record(key, WINDOW));
        expect(counts).toEqual([1, 2, 3, 4, 5]);
        expect(await store.rateLimiter.consume(key, 3, WINDOW)).toMatchObject({ allowed: false, count: 5 });
        clock.advance(WINDOW);
        expect(await store.rateLimiter.record(key, WINDOW)).toBe(1);
      });

      it('reset empties the window', async () => {
        const key = unique('rl');
        await store.rateLimiter.consume(key, 1, WINDOW);
        expect((await store.rateLimiter.consume(key, 1, WINDOW)).allowed).toBe(false);
        await store.rateLimiter.reset(key);
        expect(await store.rateLimiter.consume(key, 1, WINDOW)).toMatchObject({ allowed: true, count: 1 });
      });

      it('keys are isolated', async () => {
        const a = unique('rl');
        const b = unique('rl');
        await store.rateLimiter.consume(a, 1, WINDOW);
        expect((await store.rateLimiter.consume(a, 1, WINDOW)).allowed).toBe(false);
        expect((await store.rateLimiter.consume(b, 1, WINDOW)).allowed).toBe(true);
      });

      it('counts every concurrent hit in the same millisecond and never exceeds the limit', async () => {
        const key = unique('rl');
        const results = await Promise.all(Array.from({ length: 50 }, () => store.rateLimiter.consume(key, 10, WINDOW)));
        expect(results.filter((r) => r.allowed)).toHaveLength(10);
        expect((await store.rateLimiter.peek(key, 10, WINDOW)).count).toBe(10);
        const other = unique('rl');
        const recorded = await Promise.all(Array.from({ length: 20 }, () => store.rateLimiter.record(other, WINDOW)));
        expect([...recorded].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });

      it('rejects a limit or window that is not a positive integer', async () => {
        await expect(store.rateLimiter.consume(unique('rl'), 0, WINDOW)).rejects.toThrow(RangeError);
        await expect(store.rateLimiter.peek(unique('rl'), 1, -5)).rejects.toThrow(RangeError);
        await expect(store.rateLimiter.record(unique('rl'), 0.5)).rejects.toThrow(RangeError);
      });
    });

    describe('pub/sub', () => {
      /**
       * A channel name whose Redis Cluster slot is set by its hash tag: channels that share a tag are
       * published through one master, so the cluster bus keeps their messages in order.
       */
      const tagged = (tag: string, label: string) => `{${tag}}:${label}:${randomUUID()}`;

      /**
       * Publishes a marker on a control channel in the same slot as `channel` and waits for it, so that
       * anything published on `channel` before has arrived (across slots a cluster promises no order).
       */
      async function flush(channel: string): Promise<void> {
        const control = tagged(channel.slice(1, channel.indexOf('}')), 'control');
        let seen = false;
        const off = await store.pubsub.subscribe(control, () => (seen = true));
        await store.pubsub.publish(control, 'marker');
        await waitFor(() => seen, 2000, 'the control message');
        await off();
      }

      it('delivers every message, in order, to each of two subscribers of a channel', async () => {
        const channel = unique('purchase');
        const first: string[] = [];
        const second: string[] = [];
        const offFirst = await store.pubsub.subscribe(channel, (m) => first.push(m));
        const offSecond = await store.pubsub.subscribe(channel, (m) => second.push(m));
        for (const m of ['one', 'two', 'three']) await store.pubsub.publish(channel, m);
        await waitFor(() => first.length === 3 && second.length === 3, 2000, 'both subscribers');
        expect(first).toEqual(['one', 'two', 'three']);
        expect(second).toEqual(['one', 'two', 'three']);
        await offFirst();
        await offSecond();
      });

      it('an unsubscribed listener stops receiving while the other keeps receiving', async () => {
        const channel = unique('purchase');
        const kept: string[] = [];
        const dropped: string[] = [];
        const offKept = await store.pubsub.subscribe(channel, (m) => kept.push(m));
        const offDropped = await store.pubsub.subscribe(channel, (m) => dropped.push(m));
        await store.pubsub.publish(channel, 'before');
        await waitFor(() => dropped.length === 1 && kept.length === 1, 2000, 'one message each');
        await offDropped();
        await offDropped(); // idempotent
        await store.pubsub.publish(channel, 'after');
        await waitFor(() => kept.length === 2, 2000, 'the second message');
        expect(kept).toEqual(['before', 'after']);
        expect(dropped).toEqual(['before']);
        expect(await store.isChannelSubscribed(channel)).toBe(true);
        await offKept();
      });

      it('unsubscribes the channel itself when its last listener leaves', async () => {
        const tag = randomUUID();
        const channel = tagged(tag, 'purchase');
        const received: string[] = [];
        const offA = await store.pubsub.subscribe(channel, (m) => received.push(m));
        const offB = await store.pubsub.subscribe(channel, (m) => received.push(m));
        expect(await store.isChannelSubscribed(channel)).toBe(true);
        await offA();
        expect(await store.isChannelSubscribed(channel)).toBe(true);
        await offB();
        expect(await store.isChannelSubscribed(channel)).toBe(false);
        await store.pubsub.publish(channel, 'nobody listens');
        await flush(channel);
        expect(received).toEqual([]);
        // and a new listener subscribes it again
        const offC = await store.pubsub.subscribe(channel, (m) => received.push(m));
        await store.pubsub.publish(channel, 'again');
        await waitFor(() => received.length === 1, 2000, 'the message');
        expect(received).toEqual(['again']);
        await offC();
      });

      it('channels are isolated, and a throwing listener does not starve the others', async () => {
        const tag = randomUUID();
        const channel = tagged(tag, 'purchase');
        const other = tagged(tag, 'other');
        const got: string[] = [];
        const offThrower = await store.pubsub.subscribe(channel, () => {
          throw new Error('listener bug');
        });
        const offGood = await store.pubsub.subscribe(channel, (m) => got.push(`c:${m}`));
        const offOther = await store.pubsub.subscribe(other, (m) => got.push(`o:${m}`));
        await store.pubsub.publish(channel, 'x');
        await store.pubsub.publish(channel, 'y');
        await store.pubsub.publish(other, 'z');
        await flush(channel);
        expect(got).toEqual(['c:x', 'c:y', 'o:z']);
        await Promise.all([offThrower(), offGood(), offOther()]);
      });
    });

    it('reports healthy', async () => {
      expect(await store.health.ping()).toBe(true);
    });
  });
}
