/**
 * Interfaces to the outside world. Each has a Redis (or HTTP) implementation under
 * src/adapters/ and an in-process twin for the embedded default and unit tests.
 */
import type { ThrottleCheck, ThrottleOutcome } from './velocity-port.js';

/** A stored GraphQL response, replayed byte for byte. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type IdempotencyBegin = (
  | { readonly state: 'acquired'; readonly ownerToken: string }
  | {
      readonly state: 'completed';
      readonly fingerprint: string;
      readonly response: StoredResponse;
      /** How much longer the store keeps it (its retention left), when the store knows. */
      readonly remainingMs?: number;
    }
  | { readonly state: 'in_progress'; readonly fingerprint: string; readonly retryAfterMs: number }
  /** The API rate limit asked for with the lock refused the request: nothing was counted, no lock taken. */
  | { readonly state: 'throttled' }
) & {
  /** The API rate limit's outcomes (in the order of its checks), when begin() was asked to count it. */
  readonly throttle?: readonly ThrottleOutcome[];
};

/**
 * An API rate limit counted in the same atomic step as the lock: the checks of VelocityStore.throttle,
 * on the same counters with the same GCRA, so that either call counts a request the same way.
 */
export interface BeginThrottle {
  readonly nowMs: number;
  readonly checks: readonly ThrottleCheck[];
}

/** Idempotency keys: a lock while the first request runs, then its stored response. */
export interface IdempotencyStore {
  /**
   * Whether begin() can count an API rate limit with the lock in one step (a single Redis, or the
   * in-process twin sharing the velocity store's counters); false on a Redis Cluster, where the
   * subjects' keys live in other slots than the idempotency key.
   */
  readonly throttlesInBegin?: boolean;
  /**
   * Takes the lock for `key` (SET NX PX with an owner token) or reports what holds it. With
   * `throttle` (only where `throttlesInBegin`), first counts the API rate limit exactly as
   * VelocityStore.throttle does: refused, it answers `throttled` and takes no lock; allowed, the
   * answer carries the outcomes. An answer without outcomes was not counted (a replay kept in
   * memory, idempotency-replay-cache.ts): the caller counts the request apart.
   */
  begin(key: string, fingerprint: string, lockTtlMs: number, throttle?: BeginThrottle): Promise<IdempotencyBegin>;
  /** Stores the response and ends the lock, only if `ownerToken` still owns it (compare-and-set). */
  complete(key: string, ownerToken: string, response: StoredResponse, retentionMs: number): Promise<boolean>;
  /** Drops the lock without storing anything (infrastructure failure: a retry runs again). */
  release(key: string, ownerToken: string): Promise<void>;
}

export interface RateLimitResult {
  readonly allowed: boolean;
  /** Hits counted in the window, including this one when allowed. */
  readonly count: number;
  readonly limit: number;
  /** When a refused caller may try again; 0 when allowed. */
  readonly retryAfterMs: number;
  /** When the oldest hit in the window leaves it. */
  readonly resetMs: number;
}

/** Sliding-window counters (login throttling, API rate limits). */
export interface RateLimiter {
  /** Counts one hit if the window has room; refuses without counting otherwise. */
  consume(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  /** Reports the window without counting. */
  peek(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  /** Counts a hit whatever the limit (e.g. a failed login). */
  record(key: string, windowMs: number): Promise<number>;
  reset(key: string): Promise<void>;
}

/** Cross-instance pub/sub for live purchase updates and credential revocations. */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Subscribes; the returned function unsubscribes. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * Whether a message published from now on reaches this instance's confirmed subscriptions: false
   * while the subscriber connection is down or re-subscribing (what is published then is lost).
   */
  isLive(): boolean;
  /**
   * Calls `listener(false)` when messages may have been lost (the subscriber connection failed or
   * closed) and `listener(true)` once every subscription is confirmed again; returns a function
   * that stops it. The in-process twin is always live and never calls it.
   */
  onLiveChange(listener: (live: boolean) => void): () => void;
}

/** Whether the shared store (Redis) answers; reported by /readyz. */
export interface StoreHealth {
  readonly kind: 'redis' | 'memory';
  ping(): Promise<boolean>;
}
