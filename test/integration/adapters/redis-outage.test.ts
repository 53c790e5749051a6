import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClients, tryConnectRedis, type RedisClients } from '../../../src/adapters/redis/redis-client.js';
import { createRedisIdempotencyStore } from '../../../src/adapters/redis/redis-idempotency-store.js';
import { createRedisPubSub } from '../../../src/adapters/redis/redis-pubsub.js';
import { createRedisRateLimiter } from '../../../src/adapters/redis/redis-rate-limiter.js';
import { createLogger } from '../../../src/logger.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { ServiceUnavailableError } from '../../../src/shared/errors.js';
import type { IdempotencyStore, PubSub, RateLimiter } from '../../../src/shared/ports.js';
import { freePort, PrivateRedis, waitFor } from '../../helpers/processes.js';

const COMMAND_TIMEOUT_MS = 500;

/** Asserts that `call` rejects with ServiceUnavailableError, and how long it took. */
async function expectUnavailable(call: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  const elapsed = Date.now() - started;
  expect(error).toBeInstanceOf(ServiceUnavailableError);
  expect((error as ServiceUnavailableError).retryable).toBe(true);
  return elapsed;
}

describe('Redis outage and recovery (private redis-server)', () => {
  let server: PrivateRedis;
  let redis: RedisClients;
  let idempotency: IdempotencyStore;
  let limiter: RateLimiter;
  let pubsub: PubSub;
  const clock = new ManualClock();
  const channel = 'purchase:outage';
  const received: string[] = [];

  beforeAll(async () => {
    server = new PrivateRedis(await freePort());
    redis = createRedisClients({
      url: server.url,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      keyPrefix: 'outage:',
      logger: createLogger('silent'),
    });
    idempotency = createRedisIdempotencyStore(redis);
    limiter = createRedisRateLimiter(redis, clock);
    pubsub = createRedisPubSub(redis);
  });

  afterAll(async () => {
    server?.signal('SIGCONT');
    await redis?.close();
    await server?.kill();
  });

  it('starts while Redis is down: connect() gives up waiting without throwing, and calls fail fast', async () => {
    const started = Date.now();
    expect(await redis.connect(300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await redis.health.ping()).toBe(false);
    expect(await expectUnavailable(() => idempotency.begin('k-start', 'fp', 60_000))).toBeLessThan(200);
    expect(await expectUnavailable(() => limiter.consume('rl-start', 5, 60_000))).toBeLessThan(200);
    expect(await expectUnavailable(() => pubsub.subscribe(channel, () => undefined))).toBeLessThan(200);
  });

  it('works once Redis comes up, with the same clients', async () => {
    await server.start();
    await waitFor(() => redis.health.ping(), 5000, 'the clients to reconnect');
    await waitFor(() => redis.subscriber.isReady, 5000, 'the subscriber to reconnect');
    expect((await idempotency.begin('k-up', 'fp', 60_000)).state).toBe('acquired');
    expect((await limiter.consume('rl-up', 5, 60_000)).allowed).toBe(true);
    await pubsub.subscribe(channel, (m) => received.push(m));
    await pubsub.publish(channel, 'first');
    await waitFor(() => received.length === 1, 2000, 'the first message');
  });

  it('Redis killed: every adapter method throws ServiceUnavailableError in well under 2 s', async () => {
    const begun = await idempotency.begin('k-kill', 'fp', 60_000);
    if (begun.state !== 'acquired') throw new Error('expected the lock');
    await server.kill();

    const calls: Array<() => Promise<unknown>> = [
      () => idempotency.begin('k-other', 'fp', 60_000),
      () => idempotency.complete('k-kill', begun.ownerToken, { status: 200, headers: {}, body: '{}' }, 60_000),
      () => idempotency.release('k-kill', begun.ownerToken),
      () => limiter.consume('rl-up', 5, 60_000),
      () => limiter.peek('rl-up', 5, 60_000),
      () => limiter.record('rl-up', 60_000),
      () => limiter.reset('rl-up'),
      () => pubsub.publish(channel, 'lost'),
      () => pubsub.subscribe('purchase:new-during-outage', () => undefined),
    ];
    for (const call of calls) expect(await expectUnavailable(call)).toBeLessThan(2000);
    expect(await redis.health.ping()).toBe(false);
    expect(await tryConnectRedis(server.url, 300)).toBe(false);
  });

  it('Redis restarted on the same port: calls work again and subscriptions resume, without new clients', async () => {
    await server.start();
    const started = Date.now();
    await waitFor(() => redis.health.ping(), 5000, 'the command client to reconnect');
    await waitFor(() => redis.subscriber.isReady, 5000, 'the subscriber to reconnect');
    // the capped backoff (1 s + jitter) bounds how long recovery takes
    expect(Date.now() - started).toBeLessThan(2500);

    // the restarted Redis is empty (no persistence), so the key is free again
    expect((await idempotency.begin('k-kill', 'fp', 60_000)).state).toBe('acquired');
    expect((await limiter.consume('rl-after', 1, 60_000)).allowed).toBe(true);
    expect((await limiter.consume('rl-after', 1, 60_000)).allowed).toBe(false);

    // node-redis re-subscribed the channel by itself on reconnect
    await waitFor(
      async () => {
        await pubsub.publish(channel, 'after-restart');
        return received.includes('after-restart');
      },
      3000,
      'the message after the restart',
    );
    expect(received).not.toContain('lost');
  });

  it('Redis hanging (SIGSTOP): calls time out as ServiceUnavailableError after the command timeout, then recover', async () => {
    server.signal('SIGSTOP');
    try {
      const elapsed = await expectUnavailable(() => limiter.consume('rl-hang', 5, 60_000));
      expect(elapsed).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(COMMAND_TIMEOUT_MS + 500);
      expect(await expectUnavailable(() => idempotency.begin('k-hang', 'fp', 60_000))).toBeLessThan(
        COMMAND_TIMEOUT_MS + 500,
      );
      expect(await redis.health.ping()).toBe(false);
    } finally {
      server.signal('SIGCONT');
    }
    await waitFor(() => redis.health.ping(), 3000, 'Redis to answer again');
    expect((await limiter.consume('rl-hang-after', 5, 60_000)).allowed).toBe(true);
    // the timed-out begin ran once Redis resumed, and was released behind it: a retry is not locked out
    expect((await idempotency.begin('k-hang', 'fp', 60_000)).state).toBe('acquired');
  });
});
