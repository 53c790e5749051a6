import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { DomainError, RateLimitedError } from '../shared/errors.js';
import type { IdempotencySlot } from '../modules/idempotency/index.js';
import type { TypedErrorSlot } from './request-slots.js';
import { noteRateLimit, noteRetryAfter, type RetryAfterSlot } from './retry-after.js';
import type { ServiceContext } from '../modules/service-context.js';

/**
 * Wraps every mutation resolver inside the errors plugin: a request the idempotency module rejected
 * (key reused, still in progress, store down) throws that typed error, which then becomes a member
 * of the field's result union. A retryable failure is not stored (the key is freed for a retry) and
 * sets Retry-After (and, for a RateLimited answer, the RateLimit fields of its quota); a request refused by input validation before it ran is not stored either, so a
 * corrected retry with the same key runs.
 */
export class MutationGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.parentType !== 'Mutation') return resolver;
    return async (parent, args, context, info) => {
      const { idempotency, retryAfter, typedErrors } = context as {
        idempotency: IdempotencySlot;
        retryAfter: RetryAfterSlot;
        typedErrors: TypedErrorSlot;
      };
      const state = idempotency.current;
      try {
        // the request's idempotency state, on its context (modules/idempotency decides what it means)
        if (state?.rejection) throw state.rejection;
        const result = await resolver(parent, args, context, info);
        state?.markRan();
        return result;
      } catch (error) {
        if (error instanceof DomainError) noteTypedError(context as { service?: ServiceContext }, typedErrors, error);
        if (error instanceof DomainError && error.retryable) noteRetryAfter(retryAfter, error.retryAfterSeconds);
        if (error instanceof RateLimitedError && error.policy) {
          // a typed RateLimited answer: the quota it ran into, used up until the wait is over
          noteRateLimit(retryAfter, {
            policy: error.policy.name,
            quota: error.policy.quota,
            windowSeconds: error.policy.windowSeconds,
            remaining: 0,
            resetSeconds: error.retryAfterSeconds,
          });
        }
        state?.markFailed(error);
        throw error;
      }
    };
  }
}

/**
 * Counts a domain error a mutation answers with (a typed result such as CardDeclined, or a top-level
 * error when the field has no member for it) by its code, and notes it on the request's slot.
 */
function noteTypedError(context: { service?: ServiceContext }, slot: TypedErrorSlot, error: DomainError): void {
  context.service?.deps.metrics.graphqlError(error.code);
  slot.counted.add(error);
}

SchemaBuilder.registerPlugin('mutationGuard', MutationGuardPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      mutationGuard: MutationGuardPlugin<Types>;
    }
  }
}

export const MUTATION_GUARD = 'mutationGuard' as const;
