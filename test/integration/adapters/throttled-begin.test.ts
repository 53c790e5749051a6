// The API rate limit counted with the idempotency lock in one store call (IdempotencyStore.begin with
// a BeginThrottle): on a single Redis (idempotency-begin-throttled.lua, which runs the GCRA of
// api-rate-limit.lua from the same gcra.lua) and in the in-process twin (the counters the velocity
// store's throttle uses). The answers must be those of VelocityStore.throttle, call for call.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRedisClients,
  createRedisClusterClients,
  type SingleRedisClients,
} from '../../../src/adapters/redis/redis-client.js';
import { createRedisIdempotencyStore } from '../../../src/adapters/redis/redis-idempotency-store.js';
import { createRedisVelocityStore } from '../../../src/adapters/redis/redis-velocity-store.js';
import { createMemoryApiThrottle } from '../../../src/adapters/memory/memory-api-throttle.js';
import { createMemoryIdempotencyStore } from '../../../src/adapters/memory/memory-idempotency-store.js';
import { createMemoryVelocityStore } from '../../../src/adapters/memory/memory-velocity-store.js';
import { withEncryptedResponses } from '../../../src/adapters/encrypted-idempotency-store.js';
import { withReplayCache } from '../../../src/adapters/idempotency-replay-cache.js';
import { createLogger } from '../../../src/logger.js';
import { ManualClock } from '../../../src/shared/clock.js';
import type { IdempotencyStore } from '../../../src/shared/ports.js';
import type { ThrottleCheck, VelocityStore } from '../../../src/shared/velocity-port.js';
import { testRedisUrl } from '../../helpers/env.js';
import { LocalRedisCluster } from '../../helpers/redis-cluster.js';

const prefix = `test:throttled-begin:${randomUUID()}:`;
const logger = createLogger('silent');
let redis: SingleRedisClients | undefined;

async function openRedis(): Promise<SingleRedisClients> {
  redis ??= createRedisClients({ url: testRedisUrl(), commandTimeoutMs: 1000, keyPrefix: prefix, logger });
  if (!(await redis.connect(5000))) throw new Error(`Redis is not reachable at ${testRedisUrl()}`);
  return redis;
}

afterAll(async () => {
  if (redis?.client.isReady) {
    const keys: string[] = [];
    for await (const batch of redis.client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.client.del(keys);
  }
  await redis?.close();
});

interface Stores {
  readonly idempotency: IdempotencyStore;
  readonly velocity: VelocityStore;
}

const SEALING_KEY = 'test-idempotency-key-test-idempotency-key-01';
const LOCK = 60_000;
const t0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** replaysFromMemory: the store answers a replay it keeps without the count (the replay cache). */
function contract(name: string, open: () => Promise<Stores>, options: { replaysFromMemory?: boolean } = {}): void {
  describe(`${name}: rate limit and lock in one call`, () => {
    const checksOf = (tag: string, ipLimit = 5, credentialLimit = 3): ThrottleCheck[] => [
      { key: `ip:${tag}`, limit: ipLimit, periodMs: 60_000 },
      { key: `cred:${tag}`, limit: credentialLimit, periodMs: 60_000 },
    ];

    it('says it can', async () => {
      const { idempotency } = await open();
      expect(idempotency.throttlesInBegin).toBe(true);
    });

    it('answers exactly as VelocityStore.throttle, call for call, whichever of the two counts', async () => {
      const { idempotency, velocity } = await open();
      const viaBoth = checksOf(randomUUID());
      const viaThrottle = checksOf(randomUUID());
      // requests at these times (ms after t0): a burst over both limits, then refills across the period
      const times = [0, 0, 0, 1, 1, 2, 19_999, 20_000, 20_001, 20_001, 45_000, 60_000, 60_000, 60_000, 60_000, 61_000];
      for (const [i, at] of times.entries()) {
        const expected = await velocity.throttle(t0 + at, viaThrottle);
        // alternate: the combined call, then the plain one, on the same subjects
        const got =
          i % 2 === 0
            ? (await idempotency.begin(randomUUID(), 'fp', LOCK, { nowMs: t0 + at, checks: viaBoth })).throttle
            : await velocity.throttle(t0 + at, viaBoth);
        expect(got, `request ${i} at +${at} ms`).toEqual(expected);
      }
    });

    it('refused: answers throttled, counts nothing and takes no lock', async () => {
      const { idempotency, velocity } = await open();
      const checks = checksOf(randomUUID(), 5, 1);
      const key = randomUUID();
      const first = await idempotency.begin(randomUUID(), 'fp', LOCK, { nowMs: t0, checks });
      expect(first.state).toBe('acquired');
      const refused = await idempotency.begin(key, 'fp', LOCK, { nowMs: t0, checks });
      expect(refused.state).toBe('throttled');
      expect(refused.throttle?.map((o) => o.allowed)).toEqual([false, false]);
      expect(refused.throttle?.[1]).toMatchObject({ remaining: 0, retryAfterMs: 60_000 });
      // the key is free: the refused request took no lock
      expect((await idempotency.begin(key, 'fp', LOCK)).state).toBe('acquired');
      // and the IP's quota did not pay for it: 5 - 1 counted
      const [ip] = await velocity.throttle(t0, [checks[0]!]);
      expect(ip?.remaining).toBe(3);
    });

    it('carries the outcomes with an in-progress key and with a replay', async () => {
      const { idempotency, velocity } = await open();
      const checks = checksOf(randomUUID());
      const key = randomUUID();
      const owner = await idempotency.begin(key, 'fp', LOCK, { nowMs: t0, checks });
      if (owner.state !== 'acquired') throw new Error('not acquired');
      expect(owner.throttle?.map((o) => o.remaining)).toEqual([4, 2]);
      const running = await idempotency.begin(key, 'fp', LOCK, { nowMs: t0, checks });
      expect(running).toMatchObject({ state: 'in_progress', fingerprint: 'fp' });
      expect(running.throttle?.map((o) => o.remaining)).toEqual([3, 1]);
      const response = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{}}' };
      expect(await idempotency.complete(key, owner.ownerToken, response, 60_000)).toBe(true);
      const replay = await idempotency.begin(key, 'fp', LOCK, { nowMs: t0, checks });
      expect(replay).toMatchObject({ state: 'completed', response });
      if (options.replaysFromMemory) {
        // answered from memory, not counted: the answer says so by carrying no outcomes
        expect(replay.throttle).toBeUndefined();
        expect((await velocity.throttle(t0, checks)).map((o) => o.remaining)).toEqual([2, 0]);
      } else {
        expect(replay.throttle?.map((o) => o.remaining)).toEqual([2, 0]);
      }
      // without a rate limit the answers carry none
      expect((await idempotency.begin(key, 'fp', LOCK)).throttle).toBeUndefined();
    });

    it('rejects a malformed rate limit as a caller bug', async () => {
      const { idempotency } = await open();
      await expect(
        idempotency.begin(randomUUID(), 'fp', LOCK, { nowMs: t0, checks: [{ key: 'x', limit: 0, periodMs: 1000 }] }),
      ).rejects.toThrow(RangeError);
    });
  });
}

contract('Redis', async () => {
  const clients = await openRedis();
  return { idempotency: createRedisIdempotencyStore(clients), velocity: createRedisVelocityStore(clients) };
});

// As production composes it: the sealed store behind the replay cache. A replay the cache holds is
// answered from memory, uncounted: the caller counts it apart (graphql/rate-limit-plugin.ts).
contract(
  'Redis with sealed responses and the replay cache',
  async () => {
    const clients = await openRedis();
    return {
      idempotency: withReplayCache(withEncryptedResponses(createRedisIdempotencyStore(clients), [SEALING_KEY])),
      velocity: createRedisVelocityStore(clients),
    };
  },
  { replaysFromMemory: true },
);

contract('In-process', async () => {
  const apiThrottle = createMemoryApiThrottle();
  return {
    idempotency: createMemoryIdempotencyStore(new ManualClock(t0), { apiThrottle }),
    velocity: createMemoryVelocityStore({ apiThrottle }),
  };
});

describe('the replay cache with a rate limit', () => {
  it('answers a replay it keeps from memory without counting, even one the store lost', async () => {
    const clients = await openRedis();
    const velocity = createRedisVelocityStore(clients);
    const store = withReplayCache(withEncryptedResponses(createRedisIdempotencyStore(clients), [SEALING_KEY]));
    const checks: ThrottleCheck[] = [{ key: `cred:${randomUUID()}`, limit: 3, periodMs: 60_000 }];
    const key = randomUUID();
    const owner = await store.begin(key, 'fp', LOCK, { nowMs: t0, checks });
    if (owner.state !== 'acquired') throw new Error('not acquired');
    const response = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{"n":1}}' };
    await store.complete(key, owner.ownerToken, response, 60_000);
    // the store loses the key (FLUSHALL, eviction): the kept response is still the answer
    await clients.client.del(`${prefix}idem:${key}`);
    const replay = await store.begin(key, 'fp', LOCK, { nowMs: t0, checks });
    expect(replay).toMatchObject({ state: 'completed', response });
    expect(replay.throttle).toBeUndefined();
    // nothing was taken in the store, and only the first begin was counted
    expect(await clients.client.get(`${prefix}idem:${key}`)).toBeNull();
    expect((await velocity.throttle(t0, checks)).map((o) => o.remaining)).toEqual([1]);
  });
});

describe('where the rate limit cannot ride with the lock', () => {
  let cluster: LocalRedisCluster | undefined;
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await close?.();
    await cluster?.stop();
  });

  it('on a Redis Cluster (the subjects are in other slots): throttlesInBegin is false and begin refuses a rate limit', async () => {
    cluster = await LocalRedisCluster.start(3);
    const clients = createRedisClusterClients({
      url: '',
      clusterUrls: cluster.urls,
      commandTimeoutMs: 2000,
      keyPrefix: prefix,
      logger,
    });
    close = () => clients.close();
    if (!(await clients.connect(10_000))) throw new Error('the local Redis Cluster is not reachable');
    const store = withReplayCache(withEncryptedResponses(createRedisIdempotencyStore(clients), [SEALING_KEY]));
    expect(store.throttlesInBegin).toBe(false);
    await expect(
      store.begin(randomUUID(), 'fp', LOCK, { nowMs: t0, checks: [{ key: 'ip:x', limit: 5, periodMs: 60_000 }] }),
    ).rejects.toThrow(/Cluster/);
  }, 60_000);

  it('in an in-process store given no counters', async () => {
    const store = createMemoryIdempotencyStore(new ManualClock(t0));
    expect(store.throttlesInBegin).toBe(false);
    await expect(
      store.begin(randomUUID(), 'fp', LOCK, { nowMs: t0, checks: [{ key: 'ip:x', limit: 5, periodMs: 60_000 }] }),
    ).rejects.toThrow();
  });
});
