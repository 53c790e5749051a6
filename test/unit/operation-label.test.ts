// The `operation` label of coinslot_graphql_operations_total (and the GraphQL span's name) comes from
// the schema's root fields, never from the name a client gives its operation: bounded by the schema.
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema/index.js';
import { operationLabeler } from '../../src/graphql/operation-label.js';

const labelOf = operationLabeler(schema);
const label = (source: string, operationName?: string) => labelOf(parse(source), operationName);

describe('operation label', () => {
  it('is the root field whatever the client names its operation or aliases the field', () => {
    expect(label('query Anything_1234 { me: viewer { __typename } }')).toEqual({
      type: 'query',
      label: 'viewer',
      name: 'Anything_1234',
    });
    expect(label('mutation { createPurchase(input: {}) { __typename } }')).toEqual({
      type: 'mutation',
      label: 'createPurchase',
      name: null,
    });
    expect(label('subscription S { purchaseUpdated(id: "x") { __typename } }').label).toBe('purchaseUpdated');
  });

  it('follows fragments at the root and picks the operation the request names', () => {
    const document =
      'query A { ...Root } query B { wallet(gameId: "g") { amount } } fragment Root on Query { viewer { __typename } }';
    expect(label(document, 'A').label).toBe('viewer');
    expect(label(document, 'B').label).toBe('wallet');
    expect(label('query { ... on Query { catalog(gameId: "g") { __typename } } }').label).toBe('catalog');
  });

  it('folds several root fields, introspection alone and unknown fields into three fixed words', () => {
    expect(label('{ viewer { __typename } wallet(gameId: "g") { amount } }').label).toBe('multiple');
    expect(label('{ __typename }').label).toBe('introspection');
    expect(label('{ __schema { types { name } } }').label).toBe('introspection');
    expect(label('{ viewer { __typename } __typename }').label).toBe('viewer');
    // not in the schema (validation refuses it before execution; the label still cannot carry it)
    expect(label('{ someClientChosenName_8f3a }').label).toBe('other');
    // an operation name that names nothing in the document
    expect(label('query A { viewer { __typename } }', 'Nope').label).toBe('other');
  });

  it('takes at most as many values as the schema has root fields, plus three', () => {
    const names = new Set<string>();
    for (let i = 0; i < 500; i += 1) {
      names.add(label(`query Client_${i} { f${i}: viewer { __typename } }`).label);
      names.add(label(`query Client_${i} { field_${i} }`).label);
    }
    expect([...names].sort()).toEqual(['other', 'viewer']);
  });
});
