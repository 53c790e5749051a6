// The conventions of the schema a game developer reads (issue 20): shared connection types named
// after their node, every object with an id a Node, custom scalars pointing at their specification.
import { getNamedType, isObjectType, isScalarType, isSpecifiedScalarType, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema/index.js';

const objects = Object.values(schema.getTypeMap())
  .filter(isObjectType)
  .filter((type) => !type.name.startsWith('__'));

const isNode = (type: GraphQLObjectType) => type.getInterfaces().some((i) => i.name === 'Node');

describe('schema conventions', () => {
  it('names every connection <Node>Connection with <Node>Edge edges, one type per kind of node', () => {
    const connections = objects.filter((type) => 'pageInfo' in type.getFields() && 'edges' in type.getFields());
    expect(connections.length).toBeGreaterThanOrEqual(10);
    const wrong = connections.flatMap((connection) => {
      const edge = getNamedType(connection.getFields().edges!.type) as GraphQLObjectType;
      const node = getNamedType(edge.getFields().node!.type);
      return connection.name === `${node.name}Connection` && edge.name === `${node.name}Edge`
        ? []
        : [`${connection.name} (${edge.name} of ${node.name})`];
    });
    expect(wrong).toEqual([]);
  });

  it('makes every object with an id a Node', () => {
    const withId = objects.filter((type) => getNamedType(type.getFields().id?.type)?.name === 'ID');
    expect(withId.filter((type) => !isNode(type)).map((type) => type.name)).toEqual([]);
    expect(withId.map((type) => type.name)).toEqual(expect.arrayContaining(['LedgerEntry', 'LedgerTransaction']));
  });

  it('links every custom scalar to its specification with @specifiedBy', () => {
    const custom = Object.values(schema.getTypeMap())
      .filter(isScalarType)
      .filter((scalar) => !isSpecifiedScalarType(scalar));
    expect(custom.map((scalar) => scalar.name)).toContain('DateTime');
    expect(custom.filter((scalar) => !scalar.specifiedByURL).map((scalar) => scalar.name)).toEqual([]);
    expect(schema.getType('DateTime')).toMatchObject({ specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339' });
  });
});
