import type { Principal } from './principal.js';

/** Principals that come from the database (operator tokens never do, anonymous is no credential, the system actor has none). */
export type CachedPrincipal = Exclude<Principal, { kind: 'anonymous' } | { kind: 'operator' } | { kind: 'system' }>;

/** Taken before a database lookup; its answer may be cached only if nothing was revoked since. */
export type CacheTicket = number;

/**
 * The principal cache (a port: the accounts module implements it, Deps carries it): token hash →
 * principal, in this process, for at most PRINCIPAL_CACHE_TTL (and never past a session's
 * expires_at). Only successful lookups are kept: an unknown or revoked credential always goes to
 * the database.
 *
 * Revocations hold at once on every instance: the revoking instance drops its entries when the
 * transaction has committed and publishes the ids; every instance drops them when it hears them.
 * Two rules keep a stale principal out:
 * - a generation counter, bumped by every drop; a lookup reads it before its query and caches its
 *   answer only if it is unchanged (an answer read before a revocation committed is never stored
 *   after the revocation was processed);
 * - the cache serves and stores only while the revocation subscription is live. When the subscriber
 *   connection drops, revocations may be lost: the cache is emptied and bypassed until it is back.
 */
export interface PrincipalCache {
  readonly ttlMs: number;
  /** Whether lookups use the cache now (enabled, subscribed, subscriber connection live). */
  readonly active: boolean;
  /** Bumped by every drop; for tests and diagnostics. */
  readonly generation: number;
  readonly size: number;
  get(tokenHash: string): CachedPrincipal | undefined;
  /** Null when nothing may be cached now; hand it to put() after the query. */
  ticket(): CacheTicket | null;
  put(ticket: CacheTicket | null, tokenHash: string, principal: CachedPrincipal, sessionExpiresAt?: Date): void;
  /** Forgets the entries of these credential ids (session, game key, game authorization ids). */
  drop(ids: readonly string[]): void;
  /** Forgets everything. */
  clear(): void;
  /** Subscribes to revocations (the cache stays bypassed until that succeeds; it is retried). */
  start(): Promise<void>;
  stop(): Promise<void>;
}
