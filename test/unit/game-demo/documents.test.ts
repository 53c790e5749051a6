// The demo game and the pay sheet speak the schema Coinslot serves: every document validates against
// schema.graphql, and the gql.tada types they compile with were generated from that same schema.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { print } from '@0no-co/graphql.web';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, test } from 'vitest';
import * as gameOperations from '../../../game-demo/src/api/operations.js';
import * as sheetOperations from '../../../web/operations.js';

const schema = buildSchema(readFileSync('schema.graphql', 'utf8'));

/** The operations (not fragments) a module exports, printed. */
function operations(module: Record<string, unknown>): [string, string][] {
  return Object.entries(module)
    .map(([name, document]) => [name, print(document as Parameters<typeof print>[0])] as [string, string])
    .filter(([, text]) => /^(query|mutation|subscription)\b/m.test(text));
}

describe('GraphQL documents of the demo game and the pay sheet', () => {
  for (const [label, module] of [
    ['game', gameOperations],
    ['pay sheet', sheetOperations],
  ] as const) {
    test(`every ${label} operation validates against schema.graphql`, () => {
      const documents = operations(module);
      expect(documents.length).toBeGreaterThan(3);
      const problems = documents.flatMap(([name, text]) =>
        validate(schema, parse(text)).map((e) => `${name}: ${e.message}`),
      );
      expect(problems).toEqual([]);
    });
  }

  test.each([
    ['game-demo/src/api/graphql-env.d.ts', 'game-demo/tsconfig.json'],
    ['web/graphql-env.d.ts', 'web/tsconfig.json'],
  ])(
    '%s is generated from the current schema.graphql',
    (committed, tsconfig) => {
      // The same named-schema config as the committed tsconfigs, writing to a temporary file instead.
      const dir = mkdtempSync(join(tmpdir(), 'coinslot-tada-'));
      const fresh = join(dir, 'graphql-env.d.ts');
      const plugin = {
        name: 'gql.tada/ts-plugin',
        schemas: [{ name: 'coinslot', schema: resolve('schema.graphql'), tadaOutputLocation: fresh }],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { plugins: [plugin] } }));
      execFileSync('npx', ['gql-tada', 'generate-output', '-c', join(dir, 'tsconfig.json')], { stdio: 'pipe' });
      expect(readFileSync(fresh, 'utf8'), `stale: run npx gql-tada generate-output -c ${tsconfig}`).toBe(
        readFileSync(committed, 'utf8'),
      );
    },
    30_000,
  );
});
