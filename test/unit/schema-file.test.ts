import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, schemaSdl } from '../../src/graphql/print-schema.js';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema:print` after changing types)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaSdl());
  });
});
