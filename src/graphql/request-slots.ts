// Per-request slots the plugins of one /graphql request share: composition/app.ts puts fresh ones on
// each request's server context (beside the idempotency and Retry-After slots), so no plugin keeps
// per-request state in a module-level map keyed by the Request.
import type { ExecutionResult } from 'graphql';
import type { BeginThrottle } from '../shared/ports.js';
import type { ThrottleOutcome } from '../shared/velocity-port.js';

/**
 * The domain errors one request's mutations answered with, so that the operation counter says
 * typed_error rather than ok and the top-level error count does not count them twice. The app puts
 * a fresh slot on each /graphql request's server context (composition/app.ts, beside the
 * idempotency and Retry-After slots).
 */
export interface TypedErrorSlot {
  /** The errors counted by code already, by identity. */
  readonly counted: Set<unknown>;
}

export function typedErrorSlot(): TypedErrorSlot {
  return { counted: new Set() };
}

/**
 * What the rate limit decided for one HTTP request, on a fresh slot the app puts on each /graphql
 * request's server context (composition/app.ts): whether its store answered, so that execution can
 * refuse mutations when it did not; a count deferred to the idempotency lock; the refusal to answer.
 */
export interface RateLimitSlot {
  /** True when the limit could not be counted (Redis unreachable): reads pass, mutations are refused. */
  storeUnavailable: boolean;
  /**
   * The request's count, when onRequest deferred it (graphql/rate-limit-plugin.ts): whoever counts it
   * first takes it (sets null): the idempotency lock (one store call for both), else the request's
   * execution, result or response.
   */
  deferred: DeferredRateLimit | null;
  /** The 429 a deferred count refused the request with: the response, whatever the result was. */
  refusal: RateLimitRefusal | null;
}

/** A request's API rate limit, not counted yet. */
export interface DeferredRateLimit {
  /** The checks to count (the IP's and the credential's), at the clock's now. */
  throttle(): BeginThrottle;
  /**
   * Applies what counting answered: the outcomes, or null when the store could not answer. Returns
   * the result to stop execution with (refused: the 429 is in the slot; store down for a mutation:
   * 503), or null to go on.
   */
  settle(outcomes: readonly ThrottleOutcome[] | null, mutation: boolean): ExecutionResult | null;
  /**
   * Counts it on its own (the plain call) and settles, once: the slot's `deferred` is then null.
   * Resolves to what settle returned.
   */
  count(mutation: boolean): Promise<ExecutionResult | null>;
}

/** The HTTP answer of a request the API rate limit refused. */
export interface RateLimitRefusal {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function rateLimitSlot(): RateLimitSlot {
  return { storeUnavailable: false, deferred: null, refusal: null };
}
