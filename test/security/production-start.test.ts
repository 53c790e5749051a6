// Issue 17, item 4, against the real process: `tsx src/main.ts` with NODE_ENV=production, a temp
// DATA_DIR and a database of its own. It prints no secret (stdout and stderr), seeds no demo data,
// serves no GraphiQL, refuses introspection and answers /metrics to no one without the token.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../helpers/env.js';
import { isolatedDatabase } from '../helpers/isolated-database.js';
import { waitFor } from '../helpers/processes.js';
import { TEST_RECEIPT_KEY } from '../helpers/test-app.js';

const SECRETS = {
  TOKEN_PEPPER: 'prod-pepper-prod-pepper-prod-pepper-000001',
  CARD_FINGERPRINT_KEY: 'prod-fingerprint-key-prod-fingerprint-0001',
  OPERATOR_TOKEN: 'op_prod-operator-token-prod-operator-token-01',
  ACQUIRER_SECRET: 'prod-acquirer-secret-prod-acquirer-secret-01',
  WEBHOOK_SECRET_KEY: 'prod-webhook-secret-key-prod-webhook-secret-1',
  IDEMPOTENCY_ENCRYPTION_KEY: 'prod-idempotency-key-prod-idempotency-key-1',
  METRICS_TOKEN: 'prod-metrics-token-0123456789',
};

describe('a production start (NODE_ENV=production, the real process)', () => {
  let child: ChildProcess;
  let output = '';
  let url = '';
  let databaseUrl = '';
  let dataDir = '';

  beforeAll(async () => {
    databaseUrl = await isolatedDatabase('prod_start');
    dataDir = mkdtempSync(join(tmpdir(), 'coinslot-prod-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        REDIS_URL: testRedisUrl(),
        REDIS_KEY_PREFIX: `prod${Date.now()}:`,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        RECEIPT_SIGNING_KEYS: JSON.stringify([TEST_RECEIPT_KEY]),
        ACQUIRER_TEST_MODE: 'true',
        ...SECRETS,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(
      () => /https?:\/\/127\.0\.0\.1:\d+\/healthz/.test(output) || child.exitCode !== null,
      60_000,
      'the start banner',
    );
    expect(child.exitCode, output).toBeNull();
    url = /(http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(output)![1]!;
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('prints no secret on stdout or stderr', () => {
    for (const [name, value] of Object.entries(SECRETS)) expect(output, name).not.toContain(value);
    expect(output).not.toContain(TEST_RECEIPT_KEY.d);
    // nor any key of the shapes Coinslot issues
    expect(output).not.toMatch(/\b(sk|pk|whsec|gt|ps|ds|op)_[A-Za-z0-9_-]{16,}/);
    expect(output).not.toMatch(/operator token|demo developer|demo keys/i);
  });

  it('seeds no demo data and writes no generated secret', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        'select (select count(*)::int from developers) as developers, (select count(*)::int from games) as games',
      );
      expect(rows[0]).toEqual({ developers: 0, games: 0 });
    } finally {
      await client.end();
    }
    expect(readdirSync(dataDir)).not.toContain('secrets');
    expect((await fetch(`${url}/demo-config.json`)).status).toBe(404);
  });

  it('serves no GraphiQL and refuses introspection', async () => {
    const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toMatch(/html/);
    expect(await page.text()).not.toMatch(/graphiql/i);
    expect((await fetch(`${url}/graphiql/graphiql.js`)).headers.get('content-type') ?? '').not.toMatch(/javascript/);
    const introspection = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { types { name } } }' }),
    });
    const body = await introspection.json();
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('answers /metrics only with METRICS_TOKEN', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
    ).toBe(401);
    const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${SECRETS.METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# TYPE');
  });
});
