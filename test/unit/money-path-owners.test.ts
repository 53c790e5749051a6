// Issue 18 item 4, held by the code itself: each rule of the money path has one owner, and a change
// that writes one again elsewhere fails here. The server's own sources are read (src/, without the
// sandbox acquirer, which is another service, and the adapters, which implement the ports).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const NOT_OURS = /^(acquirer|adapters)\//;

function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    if (!entry.name.endsWith('.ts')) return [];
    return [{ path: relative(SRC, full).split('\\').join('/'), text: readFileSync(full, 'utf8') }];
  });
}

const files = sources(SRC).filter((f) => !NOT_OURS.test(f.path));

/** The files whose code (comments left out) matches `pattern`. */
function filesMatching(pattern: RegExp): string[] {
  return files
    .filter((f) => pattern.test(f.text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')))
    .map((f) => f.path)
    .sort();
}

describe('one owner for each rule of the money path', () => {
  it('reads the server sources, the purchases module among them', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.map((f) => f.path)).toContain('modules/purchases/acquirer-calls.ts');
  });

  it("makes a purchase's acquirer calls (charge, confirm, lookup, void) in acquirer-calls.ts only", () => {
    expect(filesMatching(/\.(charge|confirmCharge|lookupCharge|voidCharge)\(/)).toEqual([
      'modules/purchases/acquirer-calls.ts',
    ]);
  });

  it("spells a charge attempt's keys (the attempt's and its void's) in acquirer-calls.ts only", () => {
    expect(filesMatching(/:void\b/)).toEqual(['modules/purchases/acquirer-calls.ts']);
    expect(filesMatching(/chargeAttempt\s*===?\s*1\s*\?/)).toEqual(['modules/purchases/acquirer-calls.ts']);
  });

  it('lets settlement only commit: the files of phase 3 reach no acquirer call', () => {
    for (const path of ['modules/purchases/settle-charge.ts', 'modules/purchases/settle-statement.ts']) {
      const text = files.find((f) => f.path === path)?.text;
      expect(text, path).toBeDefined();
      expect(text, path).not.toMatch(/from '\.\/acquirer-calls\.js'|deps\.acquirer|\bacquirer\s*[,}]\s*=/);
    }
  });

  it('writes what is left of a purchase (amount less refunds less disputes) once, in refund-reservation.ts', () => {
    expect(filesMatching(/-\s*[\w.]*refundedOrPendingMinor\b/)).toEqual(['modules/purchases/refund-reservation.ts']);
  });

  it('splits a fee in shared/money.ts, called by the ledger alone', () => {
    expect(filesMatching(/\bsplitFee\(/)).toEqual(['modules/ledger/post-sale.ts', 'shared/money.ts']);
    expect(filesMatching(/10_?000\s*-\s*\w*[Bb]ps/)).toEqual(['shared/money.ts']);
  });

  it('parses minor units with the one parser, from the boundary schemas and the configured amounts only', () => {
    expect(filesMatching(/\bparse(AmountMinor|MinorUnits)\(/)).toEqual([
      'modules/fraud/settings.ts',
      'shared/money.ts',
      'shared/validation.ts',
    ]);
  });

  it('gives no verb an untyped input', () => {
    expect(filesMatching(/\braw: unknown\b/)).toEqual([]);
  });
});
