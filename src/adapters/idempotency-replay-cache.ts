import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '../shared/ports.js';

export interface ReplayCacheOptions {
  /** Completed responses kept (oldest dropped first). */
  readonly maxEntries?: number;
  /** Larger bodies are not kept (they are replayed from the store). */
  readonly maxBodyBytes?: number;
  /** The longest a response is answered from memory, whatever retention the store has left. */
  readonly maxAgeMs?: number;
  /** Monotonic milliseconds (the store's retention runs on real time). */
  readonly now?: () => number;
}

interface Completed {
  readonly fingerprint: string;
  readonly response: StoredResponse;
  readonly until: number;
}

/**
 * An IdempotencyStore that remembers completed responses in this process: a completed key's
 * response never changes for its retention, so a replay this instance stored or has already seen
 * is answered without a Redis round trip (a client retrying in a loop, a double tap). Everything
 * else goes to the store: taking a key, a key still running, one not seen here. A response is kept
 * no longer than the store's retention left (and at most maxAgeMs), so it expires as in the store.
 * A begin() asked to count an API rate limit is answered from memory all the same, without the
 * count (its answer carries no `throttle`): the caller counts it apart, after the replay is answered.
 */
export function withReplayCache(store: IdempotencyStore, options: ReplayCacheOptions = {}): IdempotencyStore {
  const maxEntries = options.maxEntries ?? 5_000;
  const maxBodyBytes = options.maxBodyBytes ?? 16_384;
  const maxAgeMs = options.maxAgeMs ?? 300_000;
  const now = options.now ?? (() => performance.now());
  const completed = new Map<string, Completed>();
  /** Fingerprints of keys this instance holds the lock of, by owner token, until complete or release. */
  const running = new Map<string, string>();

  function remember(key: string, fingerprint: string, response: StoredResponse, remainingMs: number): void {
    if (response.body.length > maxBodyBytes || remainingMs <= 0) return;
    completed.delete(key); // re-inserted last: the Map's order is the eviction order
    completed.set(key, { fingerprint, response, until: now() + Math.min(remainingMs, maxAgeMs) });
    if (completed.size > maxEntries) completed.delete(completed.keys().next().value as string);
  }

  return {
    throttlesInBegin: store.throttlesInBegin ?? false,
    async begin(key, fingerprint, lockTtlMs, throttle): Promise<IdempotencyBegin> {
      const hit = completed.get(key);
      if (hit && hit.until <= now()) completed.delete(key);
      // A replay kept here is answered without the store. An API rate limit asked for is not counted
      // (the answer carries no outcomes): the caller counts it on its own, once it has answered.
      else if (hit) return { state: 'completed', fingerprint: hit.fingerprint, response: hit.response };
      const begun = await store.begin(key, fingerprint, lockTtlMs, throttle);
      if (begun.state === 'completed' && begun.remainingMs !== undefined)
        remember(key, begun.fingerprint, begun.response, begun.remainingMs);
      if (begun.state === 'acquired') {
        // bounded: a lock whose complete or release never comes (a crash) is forgotten with the oldest
        if (running.size >= maxEntries) running.delete(running.keys().next().value as string);
        running.set(begun.ownerToken, fingerprint);
      }
      return begun;
    },

    async complete(key, ownerToken, response, retentionMs) {
      const fingerprint = running.get(ownerToken);
      running.delete(ownerToken);
      const stored = await store.complete(key, ownerToken, response, retentionMs);
      if (stored && fingerprint !== undefined) remember(key, fingerprint, response, retentionMs);
      return stored;
    },

    async release(key, ownerToken) {
      running.delete(ownerToken);
      await store.release(key, ownerToken);
    },
  };
}
