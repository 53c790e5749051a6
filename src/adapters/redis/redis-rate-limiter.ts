import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { RateLimiter, RateLimitResult } from '../../shared/ports.js';
import { assertWindow } from '../store-common.js';
import { redisCall, type RedisClients } from './redis-client.js';
import type { SlidingWindowMode, SlidingWindowReply } from './redis-scripts.js';

/**
 * Sliding-window rate limits in Redis, one Lua round trip per call (scripts/sliding-window.lua).
 *
 * Why a sorted-set log rather than GCRA: GCRA keeps one timestamp per key and is cheaper, but it
 * smooths hits to one per emission interval plus a burst, so "at most N in any W" only holds
 * approximately; the log holds every hit, so a limit of N per W is exact at the window's edges and
 * a refused caller's retry-after is the moment a slot really frees. Memory is one entry per counted
 * hit and is bounded by the limit for consume(); record() (failed logins, declines) is bounded by
 * the callers' own throttling. Each hit is a unique random member, so concurrent hits in the same
 * millisecond all count.
 *
 * Time comes from the injected clock and travels to the script as an argument (not Redis TIME), so
 * tests can cross window edges with ManualClock; instances sharing Redis should run NTP-synced clocks.
 */
export function createRedisRateLimiter(
  redis: Pick<RedisClients, 'client' | 'keyPrefix' | 'commandTimeoutMs'>,
  clock: Clock,
): RateLimiter {
  const { client, commandTimeoutMs } = redis;
  const keyOf = (key: string) => `${redis.keyPrefix}rl:${key}`;

  async function run(key: string, mode: SlidingWindowMode, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = clock.now().getTime();
    const member = `${now}:${randomBytes(8).toString('hex')}`;
    const reply = await redisCall(
      () => client.slidingWindow(keyOf(key), mode, now, windowMs, limit, member),
      commandTimeoutMs,
    );
    const [allowed, count, retryAfterMs, resetMs] = reply as SlidingWindowReply;
    return { allowed: allowed === 1, count, limit, retryAfterMs, resetMs };
  }

  return {
    async consume(key, limit, windowMs) {
      assertWindow(limit, windowMs);
      return run(key, 'consume', limit, windowMs);
    },
    async peek(key, limit, windowMs) {
      assertWindow(limit, windowMs);
      return run(key, 'peek', limit, windowMs);
    },
    async record(key, windowMs) {
      assertWindow(null, windowMs);
      return (await run(key, 'record', Number.MAX_SAFE_INTEGER, windowMs)).count;
    },
    async reset(key) {
      await redisCall(() => client.del(keyOf(key)), commandTimeoutMs);
    },
  };
}
