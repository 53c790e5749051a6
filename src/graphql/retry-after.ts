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

const waits = new WeakMap<Request, number>();
const limits = new WeakMap<Request, Map<string, RateLimitState>>();

/** Notes that this request answers with something retryable after `seconds` (the longest wait wins). */
export function noteRetryAfter(request: Request, seconds: number | null | undefined): void {
  const wait = Math.max(1, Math.ceil(seconds ?? 1));
  waits.set(request, Math.max(waits.get(request) ?? 0, wait));
}

/** Notes a quota this request was counted against (a later note of the same policy replaces it). */
export function noteRateLimit(request: Request, state: RateLimitState): void {
  const forRequest = limits.get(request) ?? new Map<string, RateLimitState>();
  forRequest.set(state.policy, state);
  limits.set(request, forRequest);
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

/**
 * Sets `Retry-After` (seconds) on the response of a request that noted a retryable answer, and the
 * RateLimit fields for every quota noted (unless a plugin that ended the request early set them).
 */
export function retryAfterPlugin(): Plugin {
  return {
    onResponse({ request, response }) {
      const wait = waits.get(request);
      if (wait !== undefined && !response.headers.has('retry-after')) {
        response.headers.set('retry-after', String(wait));
      }
      const noted = limits.get(request);
      if (noted && !response.headers.has('ratelimit')) {
        for (const [field, value] of Object.entries(rateLimitFields([...noted.values()]))) {
          response.headers.set(field, value);
        }
      }
    },
  };
}
