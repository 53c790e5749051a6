import { randomUUID } from 'node:crypto';
import type { BeginThrottle, IdempotencyBegin, IdempotencyStore, StoredResponse } from '../../shared/ports.js';
import { redisCall, type RedisClients } from './redis-client.js';
import type { IdempotencyBeginReply, IdempotencyBeginThrottledReply } from './redis-scripts.js';
import { assertPositiveInteger, heldRecordToBegin, parseStoredRecord } from '../store-common.js';
import { apiRateLimitKey, assertVelocityRequest, throttleArgs, throttleOutcomes } from '../velocity-common.js';

/**
 * Idempotency keys in Redis. One string per key: while the first request runs it holds
 * {state:'running', owner, fingerprint} with the lock's TTL (SET NX PX); once completed it holds
 * {state:'completed', fingerprint, response} for the retention. Complete and release are Lua
 * compare-and-sets on the owner token, so a caller whose lock expired cannot touch a successor's.
 *
 * On a single Redis, begin() also counts an API rate limit with the lock when asked
 * (idempotency-begin-throttled.lua: the GCRA of api-rate-limit.lua, on the velocity store's `api:`
 * keys, then the lock): one round trip for both. On a Redis Cluster the subjects' keys live in other
 * slots than the idempotency key, so `throttlesInBegin` is false and the rate limit stays a call of
 * its own (VelocityStore.throttle).
 */
export function createRedisIdempotencyStore(
  redis: Pick<RedisClients, 'client' | 'keyPrefix' | 'commandTimeoutMs' | 'cluster'>,
): IdempotencyStore {
  const { client, commandTimeoutMs } = redis;
  const keyOf = (key: string) => `${redis.keyPrefix}idem:${key}`;

  /** The script call of begin(), with or without the rate limit, as one reply shape. */
  async function call(
    key: string,
    running: string,
    lockTtlMs: number,
    throttle: BeginThrottle | undefined,
  ): Promise<IdempotencyBeginThrottledReply> {
    if (!throttle) {
      const reply = (await redisCall(
        () => client.idempotencyBegin(keyOf(key), running, lockTtlMs),
        commandTimeoutMs,
      )) as IdempotencyBeginReply;
      return reply[0] === 'acquired' ? ['acquired', []] : [...reply, []];
    }
    return (await redisCall(
      () =>
        client.idempotencyBeginThrottled(
          keyOf(key),
          running,
          lockTtlMs,
          throttle.checks.map((check) => apiRateLimitKey(redis.keyPrefix, check.key)),
          throttleArgs(throttle.nowMs, throttle.checks),
        ),
      commandTimeoutMs,
    )) as IdempotencyBeginThrottledReply;
  }

  return {
    throttlesInBegin: !redis.cluster,

    async begin(key, fingerprint, lockTtlMs, throttle): Promise<IdempotencyBegin> {
      assertPositiveInteger('lockTtlMs', lockTtlMs);
      if (throttle) {
        if (redis.cluster) throw new Error('a Redis Cluster cannot count a rate limit with the lock (other slots)');
        assertVelocityRequest(throttle);
      }
      const ownerToken = randomUUID();
      const running = JSON.stringify({ state: 'running', owner: ownerToken, fingerprint });
      let reply: IdempotencyBeginThrottledReply;
      try {
        reply = await call(key, running, lockTtlMs, throttle);
      } catch (error) {
        // the script may still run on a slow Redis: free a lock nobody will use rather than block retries for lockTtlMs
        client.idempotencyRelease(keyOf(key), ownerToken).catch(() => undefined);
        throw error;
      }
      const outcomes = throttle
        ? { throttle: throttleOutcomes(throttle.checks, reply[reply.length - 1] as number[]) }
        : {};
      if (reply[0] === 'throttled') return { state: 'throttled', ...outcomes };
      if (reply[0] === 'acquired') return { state: 'acquired', ownerToken, ...outcomes };
      const [, stored, ttlMs] = reply;
      if (stored === null) throw new Error('idempotency-begin.lua returned no record for a held key');
      // PTTL is -1 only for a key without expiry, which this store never writes
      return { ...heldRecordToBegin(parseStoredRecord(stored), ttlMs >= 0 ? ttlMs : lockTtlMs), ...outcomes };
    },

    async complete(key: string, ownerToken: string, response: StoredResponse, retentionMs: number): Promise<boolean> {
      assertPositiveInteger('retentionMs', retentionMs);
      // JSON.stringify escapes lone surrogates, so the body survives Redis' bytes and comes back identical
      const responseJson = JSON.stringify({ status: response.status, headers: response.headers, body: response.body });
      const stored = await redisCall(
        () => client.idempotencyComplete(keyOf(key), ownerToken, responseJson, retentionMs),
        commandTimeoutMs,
      );
      return stored === 1;
    },

    async release(key: string, ownerToken: string): Promise<void> {
      await redisCall(() => client.idempotencyRelease(keyOf(key), ownerToken), commandTimeoutMs);
    },
  };
}
