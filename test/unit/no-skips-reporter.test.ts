import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const reporter = resolve('test/helpers/no-skips-reporter.ts');
const vitestBin = resolve('node_modules/vitest/vitest.mjs');
const dirs: string[] = [];

/** Runs vitest on one probe file in a directory of its own, with the reporter CI uses. */
async function runProbe(source: string, extra: string[] = []): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'no-skips-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'probe.test.js'), source);
  const args = [
    vitestBin,
    'run',
    '--root',
    dir,
    '--globals',
    '--reporter',
    'default',
    '--reporter',
    reporter,
    ...extra,
  ];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env: { ...process.env, CI: 'true' } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the no-skips reporter', () => {
  it('fails a run in which a test skipped itself, and names it', async () => {
    const result = await runProbe(
      "it('runs', () => {}); it.skip('was skipped', () => {}); it('skips at run time', (ctx) => ctx.skip());",
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain('2 test(s) did not run');
    expect(result.output).toContain('probe.test.js > was skipped');
    expect(result.output).toContain('probe.test.js > skips at run time');
  });

  it('fails on a todo too', async () => {
    const result = await runProbe("it('runs', () => {}); it.todo('later');");
    expect(result.code).toBe(1);
    expect(result.output).toContain('probe.test.js > later');
  });

  it('passes a run in which every test ran, and one narrowed by name', async () => {
    expect((await runProbe("it('runs', () => {}); it('also runs', () => {});")).code).toBe(0);
    expect((await runProbe("it('runs', () => {}); it('other', () => {});", ['-t', 'other'])).code).toBe(0);
  });
});
