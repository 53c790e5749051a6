// Per-request slots the plugins of one /graphql request share: composition/app.ts puts fresh ones on
// each request's server context (beside the idempotency and Retry-After slots), so no plugin keeps
// per-request state in a module-level map keyed by the Request.

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
 * refuse mutations when it did not.
 */
export interface RateLimitSlot {
  /** True when the limit could not be counted (Redis unreachable): reads pass, mutations are refused. */
  storeUnavailable: boolean;
}

export function rateLimitSlot(): RateLimitSlot {
  return { storeUnavailable: false };
}
