// Retry-After on every retryable answer, typed results included: a client (or a proxy, or an SDK's
// retry policy) learns when to come back from the HTTP header, not only from the body. Beside it,
// the IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers, the form of draft -09 and
// later: `RateLimit-Policy` lists the quotas, `RateLimit` what is left of each), for the API's own
// request limits and for the typed RateLimited answers (sign-in attempts, cards added).
import type { Plugin } from 'graphql-yoga';

/** One quota and what is left of it after this request. */
export interface RateLimitState {
  /** Policy name: a short fixed token such as "ip", "credential", "login" (never an id). */
  readonly policy: string;
  /** Allowed per window. */
  readonly quota: number;
  readonly windowSeconds: number;
  /** Still allowed now. */
  readonly remaining: number;
  /** Seconds until the quota is whole again. */
  readonly resetSeconds: number;
}

/**
 * What one request has noted for its response headers: the longest Retry-After wait and the quotas
 * it was counted against. The app puts a fresh slot on each /graphql request's server context
 * (composition/app.ts, beside the idempotency slot); the rate limit and the mutation guard note into
 * it, and `retryAfterPlugin` writes the headers from it.
 */
export interface RetryAfterSlot {
  /** Seconds to wait before retrying; null while nothing retryable was noted. */
  wait: number | null;
  /** The quotas noted, by policy name. */
  readonly limits: Map<string, RateLimitState>;
}

export function retryAfterSlot(): RetryAfterSlot {
  return { wait: null, limits: new Map() };
}

/** Notes that this request answers with something retryable after `seconds` (the longest wait wins). */
export function noteRetryAfter(slot: RetryAfterSlot, seconds: number | null | undefined): void {
  const wait = Math.max(1, Math.ceil(seconds ?? 1));
  slot.wait = Math.max(slot.wait ?? 0, wait);
}

/** Notes a quota this request was counted against (a later note of the same policy replaces it). */
export function noteRateLimit(slot: RetryAfterSlot, state: RateLimitState): void {
  slot.limits.set(state.policy, state);
}

/**
 * The two fields for some quotas, as structured-field lists (RFC 9651):
 * `RateLimit-Policy: "ip";q=600;w=60, "credential";q=1200;w=60` and
 * `RateLimit: "ip";r=599;t=1, "credential";r=1199;t=1`.
 */
export function rateLimitFields(states: readonly RateLimitState[]): Record<string, string> {
  if (states.length === 0) return {};
  const name = (policy: string) => `"${policy.replace(/[\\"]/g, '')}"`;
  const int = (n: number) => String(Math.max(0, Math.ceil(n)));
  return {
    'ratelimit-policy': states.map((s) => `${name(s.policy)};q=${int(s.quota)};w=${int(s.windowSeconds)}`).join(', '),
    ratelimit: states.map((s) => `${name(s.policy)};r=${int(s.remaining)};t=${int(s.resetSeconds)}`).join(', '),
  };
}

/** The server context of a request: the app puts a fresh slot on each one. */
interface WithRetryAfterSlot {
  readonly retryAfter?: RetryAfterSlot;
}

/**
 * Sets `Retry-After` (seconds) on the response of a request that noted a retryable answer, and the
 * RateLimit fields for every quota noted (unless a plugin that ended the request early set them).
 */
export function retryAfterPlugin(): Plugin {
  return {
    onResponse({ serverContext, response }) {
      const slot = (serverContext as WithRetryAfterSlot | undefined)?.retryAfter;
      if (!slot) return;
      if (slot.wait !== null && !response.headers.has('retry-after')) {
        response.headers.set('retry-after', String(slot.wait));
      }
      if (slot.limits.size > 0 && !response.headers.has('ratelimit')) {
        for (const [field, value] of Object.entries(rateLimitFields([...slot.limits.values()]))) {
          response.headers.set(field, value);
        }
      }
    },
  };
}
