import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('drizzle migrations', () => {
  it('are not behind the schema (drizzle-kit generate would create nothing)', () => {
    // Generate into a copy of drizzle/ with a config of the same schema, so the checked-in folder is never touched.
    const dir = mkdtempSync(join(tmpdir(), 'coinslot-drizzle-'));
    const out = join(dir, 'drizzle');
    cpSync('drizzle', out, { recursive: true });
    const config = join(dir, 'drizzle.config.ts');
    writeFileSync(
      config,
      `export default ${JSON.stringify({
        dialect: 'postgresql',
        schema: [resolve('src/db/schema/index.ts'), resolve('src/acquirer/schema.ts')],
        out: relative(process.cwd(), out),
        casing: 'snake_case',
      })};\n`,
    );
    const before = readdirSync(out).filter((f) => f.endsWith('.sql'));
    const output = execFileSync('npx', ['drizzle-kit', 'generate', '--config', config, '--name', 'pending_check'], {
      encoding: 'utf8',
    });
    const after = readdirSync(out).filter((f) => f.endsWith('.sql'));
    expect(after, `drizzle-kit would generate a migration:\n${output}`).toEqual(before);
    expect(output).toContain('No schema changes');
  }, 60_000);
});
