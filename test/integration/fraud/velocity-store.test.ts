import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRedisClients,
  createRedisClusterClients,
  type RedisClients,
  type SingleRedisClients,
} from '../../../src/adapters/redis/redis-client.js';
import { createRedisVelocityStore } from '../../../src/adapters/redis/redis-velocity-store.js';
import { createMemoryVelocityStore } from '../../../src/adapters/memory/memory-velocity-store.js';
import { createLogger } from '../../../src/logger.js';
import { testRedisUrl } from '../../helpers/env.js';
import { LocalRedisCluster } from '../../helpers/redis-cluster.js';
import { purchaseLimits, velocityContract } from './velocity-contract.js';

/** Every key of this file lives under its own prefix on the shared Redis. */
const prefix = `test:velocity:${randomUUID()}:`;
let redis: SingleRedisClients | undefined;

async function openRedis(): Promise<SingleRedisClients> {
  redis ??= createRedisClients({
    url: testRedisUrl(),
    commandTimeoutMs: 1000,
    keyPrefix: prefix,
    logger: createLogger('silent'),
  });
  if (!(await redis.connect(5000))) throw new Error(`Redis is not reachable at ${testRedisUrl()}`);
  return redis;
}

afterAll(async () => {
  if (redis?.client.isReady) {
    // remove what this file wrote (never FLUSHDB a shared Redis)
    const keys: string[] = [];
    for await (const batch of redis.client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.client.del(keys);
  }
  await redis?.close();
});

velocityContract('Redis', async () => createRedisVelocityStore(await openRedis()));

// The same contract on a local 3-master Redis Cluster: every call's keys share one slot.
let cluster: LocalRedisCluster | undefined;
let clusterClients: RedisClients | undefined;
afterAll(async () => {
  await clusterClients?.close();
  await cluster?.stop();
});
velocityContract('Redis Cluster', async () => {
  cluster = await LocalRedisCluster.start(3);
  clusterClients = createRedisClusterClients({
    url: '',
    clusterUrls: cluster.urls,
    commandTimeoutMs: 2000,
    keyPrefix: 'test:velocity:',
    logger: createLogger('silent'),
  });
  if (!(await clusterClients.connect(10_000))) throw new Error('the local Redis Cluster is not reachable');
  return createRedisVelocityStore(clusterClients);
});
velocityContract('In-process', async () => createMemoryVelocityStore());

describe('Redis velocity store specifics', () => {
  it('keeps every key under the configured prefix, each with an expiry', async () => {
    const client = (await openRedis()).client;
    const store = createRedisVelocityStore(await openRedis());
    const player = randomUUID();
    await store.evaluate({
      nowMs: Date.now(),
      playerId: player,
      attemptId: randomUUID(),
      amountMinor: 100,
      currency: 'USD',
      cardFingerprint: `fp-${player}`,
      cardHasPaid: false,
      ip: '203.0.113.9',
      deviceId: `dev-${player}`,
      limits: purchaseLimits,
    });
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}v:*${player}*`, COUNT: 500 })) keys.push(...batch);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) expect(await client.pTTL(key)).toBeGreaterThan(0);
  });
});
