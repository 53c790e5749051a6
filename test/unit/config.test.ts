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

describe('OTEL_* (tracing)', () => {
  it('is off by default, names the service coinslot and treats empty values as unset', () => {
    const config = loadConfig({ DATA_DIR: dataDir, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: '' });
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(config.OTEL_SERVICE_NAME).toBe('coinslot');
    expect(config.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
    expect(config.OTEL_TRACES_SAMPLER).toBe('parentbased_always_on');
    expect(loadConfig({ DATA_DIR: dataDir, OTEL_SERVICE_NAME: 'coinslot-eu' }).OTEL_SERVICE_NAME).toBe('coinslot-eu');
  });

  it('keeps the export headers among the secrets only, decoded', () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'Api-Key=s3cr%3Dt, x-tenant = games',
    });
    expect(config.secrets.otlpHeaders).toEqual({ 'api-key': 's3cr=t', 'x-tenant': 'games' });
    expect(JSON.stringify({ ...config, secrets: undefined })).not.toContain('s3cr');
  });

  it('refuses gRPC, a malformed endpoint or header list, naming the variable', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: http\/protobuf or http\/json \(grpc is not supported\)/,
    );
    expect(() => loadConfig({ DATA_DIR: dataDir, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(() => loadConfig({ DATA_DIR: dataDir, OTEL_EXPORTER_OTLP_HEADERS: 'no-value' })).toThrow(
      /OTEL_EXPORTER_OTLP_HEADERS/,
    );
  });
});
