// The typed `graphql()` tag of the pay sheet, checked against Coinslot's schema (graphql-env.d.ts by gql.tada).
import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.js';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; ID: string };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';
