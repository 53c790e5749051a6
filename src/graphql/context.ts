import type { YogaInitialContext } from 'graphql-yoga';
import type { Principal } from '../shared/principal.js';
import type { ServiceContext } from '../modules/service-context.js';
import type { IdempotencySlot } from '../modules/idempotency/index.js';
import type { RateLimitSlot, TypedErrorSlot } from './request-slots.js';
import type { RetryAfterSlot } from './retry-after.js';

/** What composition/app.ts adds to each request: who is calling and the modules' service context. */
export interface AppContext {
  readonly principal: Principal;
  readonly service: ServiceContext;
  readonly requestId: string;
  /** This request's idempotency state (modules/idempotency), filled by the idempotency plugin. */
  readonly idempotency: IdempotencySlot;
  /** This request's Retry-After wait and RateLimit quotas, written as headers by retryAfterPlugin. */
  readonly retryAfter: RetryAfterSlot;
  /** The domain errors this request's mutations answered with (mutation guard; metrics read it). */
  readonly typedErrors: TypedErrorSlot;
  /** What the API rate limit decided for this request (rate-limit plugin). */
  readonly rateLimit: RateLimitSlot;
}

/** The GraphQL context seen by resolvers. */
export type GraphQLContext = YogaInitialContext & AppContext;
