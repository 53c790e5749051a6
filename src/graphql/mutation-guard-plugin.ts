import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { DomainError } from '../shared/errors.js';
import { idempotencyStateOf } from './idempotency.js';

/**
 * Wraps every mutation resolver inside the errors plugin: a request the idempotency layer rejected
 * (key reused, still in progress, store down) throws that typed error, which then becomes a member
 * of the field's result union; a retryable failure marks the request as not to be stored.
 */
export class MutationGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.parentType !== 'Mutation') return resolver;
    return async (parent, args, context, info) => {
      const state = idempotencyStateOf((context as { request: Request }).request);
      if (state?.rejection) throw state.rejection;
      try {
        return await resolver(parent, args, context, info);
      } catch (error) {
        if (state && (!(error instanceof DomainError) || error.retryable)) state.markInfraFailure();
        throw error;
      }
    };
  }
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
