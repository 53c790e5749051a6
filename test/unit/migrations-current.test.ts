import { execFileSync } from 'node:child_process';
import { mkdtempSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('drizzle migrations', () => {
  it('are not behind the schema (drizzle-kit generate would create nothing)', () => {
    // Generate into a copy of drizzle/ so the checked-in folder is never touched.
    const out = mkdtempSync(join(tmpdir(), 'coinslot-drizzle-'));
    cpSync('drizzle', out, { recursive: true });
    const before = readdirSync(out).filter((f) => f.endsWith('.sql'));
    const output = execFileSync('npx', ['drizzle-kit', 'generate', '--out', out, '--name', 'pending_check'], { encoding: 'utf8' });
    const after = readdirSync(out).filter((f) => f.endsWith('.sql'));
    expect(after, `drizzle-kit would generate a migration:\n${output}`).toEqual(before);
  }, 60_000);
});
