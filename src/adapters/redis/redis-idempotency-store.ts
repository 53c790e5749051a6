import { randomUUID } from 'node:crypto';
import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '../../shared/ports.js';
import { redisCall, type RedisClients } from './redis-client.js';
import type { IdempotencyBeginReply } from './redis-scripts.js';
import { assertPositiveInteger, heldRecordToBegin, parseStoredRecord } from '../store-common.js';

/**
 * Idempotency keys in Redis. One string per key: while the first request runs it holds
 * {state:'running', owner, fingerprint} with the lock's TTL (SET NX PX); once completed it holds
 * {state:'completed', fingerprint, response} for the retention. Complete and release are Lua
 * compare-and-sets on the owner token, so a caller whose lock expired cannot touch a successor's.
 */
export function createRedisIdempotencyStore(
  redis: Pick<RedisClients, 'client' | 'keyPrefix' | 'commandTimeoutMs'>,
): IdempotencyStore {
  const { client, commandTimeoutMs } = redis;
  const keyOf = (key: string) => `${redis.keyPrefix}idem:${key}`;

  return {
    async begin(key: string, fingerprint: string, lockTtlMs: number): Promise<IdempotencyBegin> {
      assertPositiveInteger('lockTtlMs', lockTtlMs);
      const ownerToken = randomUUID();
      const running = JSON.stringify({ state: 'running', owner: ownerToken, fingerprint });
      let reply: IdempotencyBeginReply;
      try {
        reply = (await redisCall(
          () => client.idempotencyBegin(keyOf(key), running, lockTtlMs),
          commandTimeoutMs,
        )) as IdempotencyBeginReply;
      } catch (error) {
        // the script may still run on a slow Redis: free a lock nobody will use rather than block retries for lockTtlMs
        client.idempotencyRelease(keyOf(key), ownerToken).catch(() => undefined);
        throw error;
      }
      if (reply[0] === 'acquired') return { state: 'acquired', ownerToken };
      const [, stored, ttlMs] = reply;
      if (stored === null) throw new Error('idempotency-begin.lua returned no record for a held key');
      // PTTL is -1 only for a key without expiry, which this store never writes
      return heldRecordToBegin(parseStoredRecord(stored), ttlMs >= 0 ? ttlMs : lockTtlMs);
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
