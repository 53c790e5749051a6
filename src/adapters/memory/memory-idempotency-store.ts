import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '../../shared/ports.js';
import { assertPositiveInteger, copyResponse, heldRecordToBegin, type IdempotencyRecord } from '../store-common.js';
import type { MemoryApiThrottle } from './memory-api-throttle.js';

interface Entry {
  readonly record: IdempotencyRecord;
  /** Clock time (ms) at which the entry is gone, like Redis' PX. */
  readonly expiresAt: number;
}

/** How often (clock ms) expired entries are swept, so an idle key does not stay in memory forever. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The in-process twin of the Redis idempotency store (embedded default, single instance only):
 * the same records, lock TTL and retention, measured on the injected clock. Given the API rate
 * limits' counters the in-process velocity store uses, begin() counts a rate limit with the lock
 * as idempotency-begin-throttled.lua does (refused: no lock).
 */
export function createMemoryIdempotencyStore(
  clock: Clock = systemClock,
  options: { readonly apiThrottle?: MemoryApiThrottle } = {},
): IdempotencyStore {
  const { apiThrottle } = options;
  const entries = new Map<string, Entry>();
  let lastSweep = clock.now().getTime();

  function live(key: string, now: number): Entry | undefined {
    if (now - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = now;
      for (const [k, e] of entries) if (e.expiresAt <= now) entries.delete(k);
    }
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function ownedRunning(key: string, ownerToken: string, now: number): IdempotencyRecord | undefined {
    const record = live(key, now)?.record;
    return record?.state === 'running' && record.owner === ownerToken ? record : undefined;
  }

  return {
    throttlesInBegin: apiThrottle !== undefined,

    async begin(key, fingerprint, lockTtlMs, throttle): Promise<IdempotencyBegin> {
      assertPositiveInteger('lockTtlMs', lockTtlMs);
      let outcomes = {};
      if (throttle) {
        if (!apiThrottle) throw new Error('this idempotency store was given no API rate limit counters');
        const counted = apiThrottle.throttle(throttle.nowMs, throttle.checks);
        if (!counted.every((o) => o.allowed)) return { state: 'throttled', throttle: counted };
        outcomes = { throttle: counted };
      }
      const now = clock.now().getTime();
      const held = live(key, now);
      if (held) return { ...heldRecordToBegin(held.record, held.expiresAt - now), ...outcomes };
      const ownerToken = randomUUID();
      entries.set(key, { record: { state: 'running', owner: ownerToken, fingerprint }, expiresAt: now + lockTtlMs });
      return { state: 'acquired', ownerToken, ...outcomes };
    },

    async complete(key: string, ownerToken: string, response: StoredResponse, retentionMs: number): Promise<boolean> {
      assertPositiveInteger('retentionMs', retentionMs);
      const now = clock.now().getTime();
      const running = ownedRunning(key, ownerToken, now);
      if (!running) return false;
      const record: IdempotencyRecord = {
        state: 'completed',
        fingerprint: running.fingerprint,
        response: copyResponse(response),
      };
      entries.set(key, { record, expiresAt: now + retentionMs });
      return true;
    },

    async release(key: string, ownerToken: string): Promise<void> {
      if (ownedRunning(key, ownerToken, clock.now().getTime())) entries.delete(key);
    },
  };
}
