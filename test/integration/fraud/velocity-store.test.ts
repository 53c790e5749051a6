import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisClients, type RedisClients } from '../../../src/adapters/redis/redis-client.js';
import { createRedisVelocityStore } from '../../../src/adapters/redis/redis-velocity-store.js';
import { createMemoryVelocityStore } from '../../../src/adapters/memory/memory-velocity-store.js';
import { createLogger } from '../../../src/logger.js';
import { testRedisUrl } from '../../helpers/env.js';
import { purchaseLimits, velocityContract } from './velocity-contract.js';

/** Every key of this file lives under its own prefix on the shared Redis. */
const prefix = `test:velocity:${randomUUID()}:`;
let redis: RedisClients | undefined;

async function openRedis(): Promise<RedisClients> {
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
