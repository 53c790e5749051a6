import { systemClock, type Clock } from '../../shared/clock.js';
import type { RateLimiter, RateLimitResult } from '../../shared/ports.js';
import { assertWindow } from '../store-common.js';

interface Log {
  /** Hit times (clock ms), oldest first. */
  hits: number[];
  /** Clock time at which the whole log is stale (last hit + window), like the Redis key's PEXPIRE. */
  expiresAt: number;
}

type Mode = 'consume' | 'peek' | 'record';

/** How often (clock ms) stale logs are swept. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The in-process twin of the Redis rate limiter: the same sliding-window log with the same edge
 * rule (a hit at t counts while now < t + window) and the same retry-after, on the injected clock.
 */
export function createMemoryRateLimiter(clock: Clock = systemClock): RateLimiter {
  const logs = new Map<string, Log>();
  let lastSweep = clock.now().getTime();

  function sweep(now: number): void {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    for (const [key, log] of logs) if (log.expiresAt <= now) logs.delete(key);
  }

  function run(key: string, mode: Mode, limit: number, windowMs: number): RateLimitResult {
    const now = clock.now().getTime();
    sweep(now);
    let log = logs.get(key);
    if (log && log.expiresAt <= now) log.hits = [];
    const hits = log?.hits ?? [];
    const cutoff = now - windowMs;
    let stale = 0;
    while (stale < hits.length && (hits[stale] as number) <= cutoff) stale++;
    if (stale > 0) hits.splice(0, stale);

    let allowed = false;
    if (mode === 'record' || (mode === 'consume' && hits.length < limit)) {
      // keep the log sorted even if the clock stepped back
      let at = hits.length;
      while (at > 0 && (hits[at - 1] as number) > now) at--;
      hits.splice(at, 0, now);
      if (!log) {
        log = { hits, expiresAt: 0 };
        logs.set(key, log);
      }
      log.expiresAt = now + windowMs;
      allowed = true;
    } else if (mode === 'peek' && hits.length < limit) {
      allowed = true;
    }

    const count = hits.length;
    const resetMs = count > 0 ? (hits[0] as number) + windowMs - now : 0;
    // a slot frees when the hit at index (count - limit) leaves the window
    const retryAfterMs = allowed ? 0 : (hits[count - limit] as number) + windowMs - now;
    return { allowed, count, limit, retryAfterMs, resetMs };
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
      return run(key, 'record', Number.MAX_SAFE_INTEGER, windowMs).count;
    },
    async reset(key) {
      logs.delete(key);
    },
  };
}
