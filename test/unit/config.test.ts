import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const dataDir = mkdtempSync(join(tmpdir(), 'coinslot-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('WEBHOOK_SECRET_KEY_PREVIOUS', () => {
  it('splits comma-separated keys (spaces and empty parts ignored) into decrypt-only keys', () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(40);
    const config = loadConfig({ DATA_DIR: dataDir, WEBHOOK_SECRET_KEY_PREVIOUS: ` ${a} ,, ${b}` });
    expect(config.secrets.webhookSecretKeysPrevious).toEqual([a, b]);
    expect(loadConfig({ DATA_DIR: dataDir }).secrets.webhookSecretKeysPrevious).toEqual([]);
  });

  it('refuses a previous key shorter than 32 characters, naming the variable', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir, WEBHOOK_SECRET_KEY_PREVIOUS: `${'a'.repeat(32)},short` })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ DATA_DIR: dataDir, WEBHOOK_SECRET_KEY_PREVIOUS: 'short' })).toThrow(
      /WEBHOOK_SECRET_KEY_PREVIOUS: each key at least 32 characters/,
    );
  });
});
