// Typed GraphQL documents for tests: `graphql()` (gql.tada) checks a document against schema.graphql
// at typecheck time and gives `app.gql` its result and variables types, so a renamed field or a
// wrong variable fails `npm run typecheck` instead of a test at run time.
// graphql-env.d.ts is generated from schema.graphql: `npx gql.tada generate-output` (tsconfig.json's
// gql.tada plugin entry names the file) after changing the schema.
import { initGraphQLTada } from 'gql.tada';
import { expect } from 'vitest';
import type { introspection } from './graphql-env.js';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  // Money amounts are strings of minor units; ids are public ids (strings) in results.
  scalars: { DateTime: string; ID: string };
}>();

export type { FragmentOf, ResultOf, TadaDocumentNode, VariablesOf } from 'gql.tada';

/**
 * Asserts that a union result is the member `typename` and narrows it to that member, so a test
 * reads `expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.status` with types
 * instead of `any`. Fails with the whole value when it is another member (or null).
 */
export function expectTypename<T extends { readonly __typename: string }, N extends T['__typename']>(
  value: T | null | undefined,
  typename: N,
): Extract<T, { readonly __typename: N }> {
  expect(value?.__typename, JSON.stringify(value)).toBe(typename);
  return value as Extract<T, { readonly __typename: N }>;
}

/**
 * Whether a union result is the member `typename`, as a type guard: `answers.filter((a) =>
 * isTypename(a, 'OutOfStock'))` keeps those members, narrowed (counting outcomes without `any`).
 */
export function isTypename<T extends { readonly __typename: string }, N extends T['__typename']>(
  value: T | null | undefined,
  typename: N,
): value is Extract<T, { readonly __typename: N }> {
  return value?.__typename === typename;
}
