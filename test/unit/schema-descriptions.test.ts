// Every type, field, argument, input field and enum value of the public schema has a description a
// game developer can read. Until the schema is fully described, test/unit/schema-undescribed.txt
// lists what still is not: anything new without a description fails here, and so does a listed
// coordinate that has since been described (take it off the list). The goal is an empty file.
import { readFileSync } from 'node:fs';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema/index.js';

const LIST = 'test/unit/schema-undescribed.txt';

/** Schema coordinates (Type, Type.field, Type.field(arg:), Enum.VALUE) that have no description. */
function undescribed(): string[] {
  const missing: string[] = [];
  const none = (text: string | null | undefined) => !text || text.trim().length === 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
    if (none(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (none(field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) {
          if (none(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name}:)`);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (none(field.description)) missing.push(`${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (none(value.description)) missing.push(`${type.name}.${value.name}`);
      }
    } else if (isUnionType(type)) {
      // a union's members are described on their own types
    }
  }
  return missing.sort();
}

describe('schema descriptions', () => {
  it('describes everything added since the list of what is left was written', () => {
    const known = new Set(
      readFileSync(LIST, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#')),
    );
    const missing = undescribed();
    expect(
      missing.filter((c) => !known.has(c)),
      'add a description to these (in words a game developer understands)',
    ).toEqual([]);
    const nowDescribed = [...known].filter((c) => !missing.includes(c));
    expect(nowDescribed, `described now: remove them from ${LIST}`).toEqual([]);
  });
});
