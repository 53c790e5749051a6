import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisClients,
  createRedisClusterClients,
  tryConnectRedis,
  type SingleRedisClients,
} from '../../../src/adapters/redis/redis-client.js';
import { createRedisIdempotencyStore } from '../../../src/adapters/redis/redis-idempotency-store.js';
import { withReplayCache } from '../../../src/adapters/idempotency-replay-cache.js';
import { withEncryptedResponses } from '../../../src/adapters/encrypted-idempotency-store.js';
import { createRedisPubSub } from '../../../src/adapters/redis/redis-pubsub.js';
import { createRedisRateLimiter } from '../../../src/adapters/redis/redis-rate-limiter.js';
import { createLogger } from '../../../src/logger.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { testRedisUrl } from '../../helpers/env.js';
import { LocalRedisCluster, redisCli } from '../../helpers/redis-cluster.js';
import type { IdempotencyStore } from '../../../src/shared/ports.js';
import { waitFor } from '../../helpers/processes.js';
import { storeContract, type StoreFactory } from './store-contract.js';

/** Every key and channel of this file lives under its own prefix on the shared Redis. */
const prefix = `test:adapters:${randomUUID()}:`;
const logger = createLogger('silent');
const opened: SingleRedisClients[] = [];

async function openRedis(): Promise<SingleRedisClients> {
  const redis = createRedisClients({ url: testRedisUrl(), commandTimeoutMs: 1000, keyPrefix: prefix, logger });
  if (!(await redis.connect(5000))) throw new Error(`Redis is not reachable at ${testRedisUrl()}`);
  opened.push(redis);
  return redis;
}

afterAll(async () => {
  const [redis] = opened;
  if (redis?.client.isReady) {
    // remove what this file wrote (never FLUSHDB a shared Redis)
    const keys: string[] = [];
    for await (const batch of redis.client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.client.del(keys);
  }
  await Promise.all(opened.map((r) => r.close()));
});

/** The Redis stores on their own connection; `idempotency` wraps the idempotency store as a composition would. */
function redisStores(idempotency: (store: IdempotencyStore) => IdempotencyStore = (store) => store): StoreFactory {
  return async (clock) => {
    const redis = await openRedis();
    return {
      idempotency: idempotency(createRedisIdempotencyStore(redis)),
      rateLimiter: createRedisRateLimiter(redis, clock),
      pubsub: createRedisPubSub(redis),
      health: redis.health,
      // lock and retention TTLs are Redis' own PX expiry, in real time: Redis' clock cannot be injected,
      // so this wait is the subject of the TTL cases (the memory twin elapses on its ManualClock instead)
      elapse: async (ms) => {
        clock.advance(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
      isChannelSubscribed: async (channel) => {
        const counts = await redis.client.pubSubNumSub(`${prefix}${channel}`);
        return Number(counts[`${prefix}${channel}`] ?? 0) > 0;
      },
      close: async () => undefined,
    };
  };
}

const SEALING_KEY = 'test-idempotency-key-test-idempotency-key-01';

storeContract('Redis', redisStores());
// The idempotency store, rate limiter and pub/sub (subscriptions and revocations use it) on a local
// 3-master Redis Cluster: each script's keys share one slot; PUBLISH reaches subscribers on any node.
let cluster: LocalRedisCluster | undefined;
const clusterOpened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(clusterOpened.map((c) => c.close()));
  await cluster?.stop();
});
storeContract('Redis Cluster', async (clock) => {
  cluster ??= await LocalRedisCluster.start(3);
  const nodes = cluster;
  const redis = createRedisClusterClients({
    url: '',
    clusterUrls: nodes.urls,
    commandTimeoutMs: 2000,
    keyPrefix: prefix,
    logger,
  });
  clusterOpened.push(redis);
  if (!(await redis.connect(10_000))) throw new Error('the local Redis Cluster is not reachable');
  return {
    idempotency: createRedisIdempotencyStore(redis),
    rateLimiter: createRedisRateLimiter(redis, clock),
    pubsub: createRedisPubSub(redis),
    health: redis.health,
    // Redis' PX expiry runs on its own clock: a real wait, the subject of the TTL cases
    elapse: async (ms) => {
      clock.advance(ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    isChannelSubscribed: async (channel) => {
      // a sharded subscription lives on the master of the channel's slot: ask them all
      let total = 0;
      for (const node of nodes.nodes) {
        const reply = (await redisCli(node.port, 'PUBSUB', 'SHARDNUMSUB', `${prefix}${channel}`)).trim().split('\n');
        total += Number(reply[1] ?? 0);
      }
      return total > 0;
    },
    close: async () => undefined,
  };
});

storeContract(
  'Redis with sealed responses',
  redisStores((store) => withEncryptedResponses(store, [SEALING_KEY])),
);
// As production composes it (src/composition/stores.ts): the sealed Redis store behind the in-process replay cache.
storeContract(
  'Redis with sealed responses and the replay cache',
  redisStores((store) => withReplayCache(withEncryptedResponses(store, [SEALING_KEY]))),
);

describe('sealed responses', () => {
  const secret = 'sk_live_0123456789abcdef';
  const response = { status: 200, headers: { 'content-type': 'application/json' }, body: `{"secretKey":"${secret}"}` };

  async function storeOne(store: IdempotencyStore, key: string): Promise<void> {
    const begun = await store.begin(key, 'fp', 5_000);
    if (begun.state !== 'acquired') throw new Error('not acquired');
    expect(await store.complete(key, begun.ownerToken, response, 60_000)).toBe(true);
  }

  it('keeps only ciphertext in Redis and replays the exact body', async () => {
    const redis = await openRedis();
    const store = withEncryptedResponses(createRedisIdempotencyStore(redis), [SEALING_KEY]);
    const key = `sealed:${randomUUID()}`;
    await storeOne(store, key);
    const raw = (await redis.client.get(`${prefix}idem:${key}`)) as string;
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain('secretKey');
    expect(await store.begin(key, 'fp', 5_000)).toMatchObject({ state: 'completed', response });
  });

  it('opens with a previous key after a rotation, and a value moved under another key does not open', async () => {
    const redis = await openRedis();
    const inner = createRedisIdempotencyStore(redis);
    const key = `sealed:${randomUUID()}`;
    await storeOne(withEncryptedResponses(inner, ['old-idempotency-key-old-idempotency-key-0001']), key);
    const rotated = withEncryptedResponses(inner, [SEALING_KEY, 'old-idempotency-key-old-idempotency-key-0001']);
    expect(await rotated.begin(key, 'fp', 5_000)).toMatchObject({ state: 'completed', response });
    await expect(withEncryptedResponses(inner, [SEALING_KEY]).begin(key, 'fp', 5_000)).rejects.toThrow(
      /IDEMPOTENCY_ENCRYPTION_KEY/,
    );

    const other = `sealed:${randomUUID()}`;
    const value = (await redis.client.get(`${prefix}idem:${key}`)) as string;
    await redis.client.set(`${prefix}idem:${other}`, value, { PX: 60_000 });
    await expect(rotated.begin(other, 'fp', 5_000)).rejects.toThrow();
  });
});

describe('the replay cache', () => {
  const stored = (body: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, body });

  it('answers a completed key it stored or saw from memory, and every other state from Redis', async () => {
    const redis = await openRedis();
    const inner = createRedisIdempotencyStore(redis);
    let calls = 0;
    const counted = {
      ...inner,
      begin: (...args: Parameters<typeof inner.begin>) => {
        calls++;
        return inner.begin(...args);
      },
    };
    const a = withReplayCache(counted);
    const b = withReplayCache(counted); // another instance
    const key = `replay:${randomUUID()}`;

    const first = await a.begin(key, 'fp', 5_000);
    expect(first.state).toBe('acquired');
    // still running: asked of Redis every time, from both instances
    expect((await b.begin(key, 'fp', 5_000)).state).toBe('in_progress');
    expect(calls).toBe(2);
    expect(await a.complete(key, (first as { ownerToken: string }).ownerToken, stored('{"n":1}'), 60_000)).toBe(true);

    // the instance that stored it answers from memory
    for (let i = 0; i < 3; i++)
      expect(await a.begin(key, 'fp', 5_000)).toMatchObject({
        state: 'completed',
        fingerprint: 'fp',
        response: { body: '{"n":1}' },
      });
    expect(calls).toBe(2);
    // the other asks Redis once, then answers from memory; a different request still sees the original fingerprint
    expect(await b.begin(key, 'other', 5_000)).toMatchObject({ state: 'completed', fingerprint: 'fp' });
    expect(await b.begin(key, 'fp', 5_000)).toMatchObject({ state: 'completed', response: { body: '{"n":1}' } });
    expect(calls).toBe(3);
  });

  it('forgets a response when the retention Redis had left runs out, and keeps nothing of a released key', async () => {
    const redis = await openRedis();
    let now = 0;
    const inner = createRedisIdempotencyStore(redis);
    const cached = withReplayCache(inner, { now: () => now });
    const key = `replay:${randomUUID()}`;
    const lock = await cached.begin(key, 'fp', 5_000);
    await cached.complete(key, (lock as { ownerToken: string }).ownerToken, stored('{}'), 200);
    now += 150;
    expect((await cached.begin(key, 'fp', 5_000)).state).toBe('completed');
    now += 100; // past the retention in the cache's time: it must ask Redis, once Redis has expired it too
    await waitFor(
      async () => (await redis.client.exists(`${redis.keyPrefix}idem:${key}`)) === 0,
      2_000,
      'Redis to expire the stored response',
      20,
    );
    expect((await cached.begin(key, 'fp', 5_000)).state).toBe('acquired');

    const released = `replay:${randomUUID()}`;
    const held = await cached.begin(released, 'fp', 5_000);
    await cached.release(released, (held as { ownerToken: string }).ownerToken);
    expect((await cached.begin(released, 'fp', 5_000)).state).toBe('acquired');
  });
});

describe('Redis store specifics', () => {
  let a: SingleRedisClients;
  let b: SingleRedisClients;
  beforeAll(async () => {
    a = await openRedis();
    b = await openRedis();
  });

  it('delivers a message published on one instance to a subscriber on another', async () => {
    const channel = `purchase:${randomUUID()}`;
    const received: string[] = [];
    const off = await createRedisPubSub(b).subscribe(channel, (m) => received.push(m));
    await createRedisPubSub(a).publish(channel, '{"status":"SUCCEEDED"}');
    await waitFor(() => received.length === 1, 2000, 'the cross-instance message');
    expect(received).toEqual(['{"status":"SUCCEEDED"}']);
    await off();
  });

  it('shares locks and windows across instances', async () => {
    const key = randomUUID();
    expect((await createRedisIdempotencyStore(a).begin(key, 'fp', 60_000)).state).toBe('acquired');
    expect((await createRedisIdempotencyStore(b).begin(key, 'fp', 60_000)).state).toBe('in_progress');
    const clock = new ManualClock();
    await createRedisRateLimiter(a, clock).consume(key, 1, 60_000);
    expect((await createRedisRateLimiter(b, clock).consume(key, 1, 60_000)).allowed).toBe(false);
  });

  it('keeps every key under the configured prefix, with a TTL', async () => {
    const key = randomUUID();
    await createRedisIdempotencyStore(a).begin(key, 'fp', 60_000);
    await createRedisRateLimiter(a, new ManualClock()).consume(key, 5, 60_000);
    const idemTtl = await a.client.pTTL(`${prefix}idem:${key}`);
    const rlTtl = await a.client.pTTL(`${prefix}rl:${key}`);
    expect(idemTtl).toBeGreaterThan(59_000);
    expect(rlTtl).toBeGreaterThan(59_000);
    expect(await a.client.exists(`idem:${key}`)).toBe(0);
  });

  it('tryConnectRedis answers true for a live Redis and false, promptly, for a closed port', async () => {
    expect(await tryConnectRedis(testRedisUrl(), 1000)).toBe(true);
    const started = Date.now();
    expect(await tryConnectRedis('redis://127.0.0.1:1', 500)).toBe(false);
    // a refused connection answers at once; the bound only has to tell "gave up" from "kept retrying
    // for seconds", with room for a loaded CI machine (a run under load took 1.1 s)
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
