// Issue 17, findings 4, 11 and 13: closed production config, body limit, malformed paths, /metrics token.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import pg from 'pg';
import { startServer } from '../../src/composition/index.js';
import { graphql } from '../helpers/graphql.js';
import { isolatedDatabase } from '../helpers/isolated-database.js';
import { createTestApp, testEnv, type TestApp } from '../helpers/test-app.js';

const TYPENAME = graphql(`query Typename { __typename }`);

describe('production configuration (findings 4 and 13)', () => {
  it('names every missing setting at once and writes nothing', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'coinslot-prod-')), 'data');
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ['TOKEN_PEPPER', 'OPERATOR_TOKEN', 'IDEMPOTENCY_ENCRYPTION_KEY', 'DATABASE_URL', 'REDIS_URL'])
      expect((error as Error).message).toContain(`${name}: required in production`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('turns demo seeding, GraphiQL and introspection off in production unless asked for', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coinslot-dev-'));
    expect(loadConfig({ DATA_DIR: dataDir })).toMatchObject({ SEED_DEMO: true, GRAPHIQL: true, INTROSPECTION: true });
    const secret = 's'.repeat(40);
    const production = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1:6379',
      TOKEN_PEPPER: secret,
      CARD_FINGERPRINT_KEY: secret,
      OPERATOR_TOKEN: secret,
      ACQUIRER_SECRET: secret,
      WEBHOOK_SECRET_KEY: secret,
      IDEMPOTENCY_ENCRYPTION_KEY: secret,
      RECEIPT_SIGNING_KEYS: '[]',
      GRAPHIQL: 'true',
    });
    expect(production).toMatchObject({ SEED_DEMO: false, GRAPHIQL: true, INTROSPECTION: false });
    // finding 11: bodies are bounded by default, at 1 MiB
    expect(production.MAX_BODY_BYTES).toBe(1_048_576);
  });
});

describe('DATA_DIR checked before anything is written (finding 13)', () => {
  /** A production environment with every setting, a demo seed asked for, and `dataDir`. */
  const seeding = (dataDir: string, databaseUrl: string) =>
    testEnv({ NODE_ENV: 'production', SEED_DEMO: 'true', DATA_DIR: dataDir, DATABASE_URL: databaseUrl });
  const developers = async (databaseUrl: string) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query('select count(*)::int as n from developers')).rows[0].n as number;
    } finally {
      await client.end();
    }
  };

  it('refuses a DATA_DIR that cannot be written before seeding, and seeds whole into one that does not exist yet', async () => {
    const databaseUrl = await isolatedDatabase('data_dir');
    // The review's reproduction: the seed wrote the demo developer and games, then crashed writing
    // DATA_DIR/demo.json. A DATA_DIR that cannot be made is now a configuration error, named.
    const blocker = join(mkdtempSync(join(tmpdir(), 'coinslot-ro-')), 'a-file');
    writeFileSync(blocker, '');
    expect(() => loadConfig(seeding(join(blocker, 'data'), databaseUrl))).toThrow(/DATA_DIR: .* cannot be written/);
    expect(await developers(databaseUrl)).toBe(0);

    const missing = join(mkdtempSync(join(tmpdir(), 'coinslot-new-')), 'not', 'yet');
    const server = await startServer(loadConfig(seeding(missing, databaseUrl)), { listen: false });
    try {
      expect(existsSync(join(missing, 'demo.json'))).toBe(true);
      expect(await developers(databaseUrl)).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('needs no DATA_DIR in production when nothing is seeded or generated, and takes a Redis Cluster for REDIS_URL', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'coinslot-none-')), 'data');
    const env = testEnv({ NODE_ENV: 'production', DATA_DIR: dataDir });
    const { REDIS_URL: _redis, SEED_DEMO: _seed, ...cluster } = env;
    const config = loadConfig({ ...cluster, REDIS_CLUSTER_URLS: 'redis://127.0.0.1:7000,redis://127.0.0.1:7001' });
    expect(config.REDIS_CLUSTER_URLS).toHaveLength(2);
    expect(config.SEED_DEMO).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    expect(() => loadConfig(cluster)).toThrow(/REDIS_URL: required in production/);
  });
});

describe('HTTP hardening (findings 4 and 11)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { MAX_BODY_BYTES: '4096', INTROSPECTION: 'false' } });
  });
  afterAll(() => app?.close());

  it('answers 413 to a body over MAX_BODY_BYTES, declared or chunked, and 400 to a malformed path', async () => {
    const big = JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(10_000) } });
    const declared = await app.app.fetch('http://coinslot.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
      body: big,
    });
    expect(declared.status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await app.app.fetch('http://coinslot.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const small = await app.gql(TYPENAME, {});
    expect(small.status).toBe(200);
    expect((await app.app.fetch('http://coinslot.test/%E0%A4%A')).status).toBe(400);
  });

  it('bounds a body streamed as text (an in-process form body), with no 500 below or above the limit', async () => {
    const form = (size: number) =>
      app.app.fetch('http://coinslot.test/oauth/token', {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'gam_x', pad: 'x'.repeat(size) }),
      });
    const small = await form(10);
    // read and answered by the token endpoint: an unknown client
    expect(small.status).toBe(401);
    expect(await small.json()).toMatchObject({ error: 'invalid_client' });
    expect((await form(10_000)).status).toBe(413);
  });

  it('refuses introspection when INTROSPECTION=false', async () => {
    // a string: the introspection query is what this configuration refuses
    const res = await app.gql('{ __schema { types { name } } }');
    expect(res.errors?.[0]?.message).toMatch(/introspection/i);
  });
});

describe('/metrics (finding 4)', () => {
  it('needs METRICS_TOKEN as a bearer token when set', async () => {
    const app = await createTestApp({ env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
    try {
      const anonymous = await app.app.fetch('http://coinslot.test/metrics');
      expect(anonymous.status).toBe(401);
      expect(await anonymous.text()).not.toContain('http_requests');
      const wrong = await app.app.fetch('http://coinslot.test/metrics', {
        headers: { authorization: 'Bearer metrics-token-0123456780' },
      });
      expect(wrong.status).toBe(401);
      const right = await app.app.fetch('http://coinslot.test/metrics', {
        headers: { authorization: 'Bearer metrics-token-0123456789' },
      });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('# TYPE');
    } finally {
      await app.close();
    }
  });

  it('moves to its own listener with METRICS_ADDRESS: 404 on the main address, served on the other only', async () => {
    const app = await createTestApp({ listen: true, env: { METRICS_ADDRESS: '127.0.0.1:0' } });
    try {
      expect(app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(app.metricsUrl).not.toBe(app.url);
      expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
      const scraped = await fetch(`${app.metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('# TYPE');
      // nothing else is served there: not the API, not health, not the web front
      for (const path of ['/graphql', '/healthz', '/', '/metrics/../graphql'])
        expect((await fetch(`${app.metricsUrl}${path}`)).status, path).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('refuses a METRICS_ADDRESS that is no host:port', () => {
    for (const bad of ['9464', 'http://127.0.0.1:9464', '127.0.0.1', '::1:9464'])
      expect(
        () => loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'coinslot-m-')), METRICS_ADDRESS: bad }),
        bad,
      ).toThrow(ConfigError);
  });
});

describe('GraphiQL (finding 4) and bodies over real HTTP', () => {
  it('is a sandboxed page of Coinslot with its assets served locally, only when GRAPHIQL=true', async () => {
    const on = await createTestApp({ env: { GRAPHIQL: 'true' } });
    const off = await createTestApp({ env: { GRAPHIQL: 'false' } });
    try {
      const page = await on.app.fetch('http://coinslot.test/graphql', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/^sandbox allow-scripts /);
      expect(csp).not.toContain('allow-same-origin');
      expect(csp).toContain('script-src http://coinslot.test/graphiql/;');
      expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
      const html = await page.text();
      // every script and stylesheet is Coinslot's own, no inline script runs
      expect(html.match(/(?:src|href)="[^"]*"/g)).toEqual([
        'href="/graphiql/graphiql.css"',
        'src="/graphiql/boot.js"',
        'src="/graphiql/graphiql.js"',
        'src="/graphiql/start.js"',
      ]);
      expect(html).not.toMatch(/<script>|unpkg|jsdelivr|cdn/i);
      for (const file of [
        'boot.js',
        'graphiql.js',
        'start.js',
        'graphiql.css',
        'worker/editor.js',
        'worker/json.js',
        'worker/graphql.js',
      ]) {
        const asset = await on.app.fetch(`http://coinslot.test/graphiql/${file}`);
        expect(asset.status, file).toBe(200);
        expect(asset.headers.get('content-type'), file).toMatch(
          file.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
        );
        expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
      }
      expect((await on.app.fetch('http://coinslot.test/graphiql/nope.js')).status).toBe(404);
      // off: no page, no assets
      const none = await off.app.fetch('http://coinslot.test/graphql', { headers: { accept: 'text/html' } });
      expect(none.headers.get('content-type') ?? '').not.toMatch(/html/);
      expect(await (await off.app.fetch('http://coinslot.test/graphiql/boot.js')).text()).not.toContain(
        'MonacoEnvironment',
      );
      // the sandboxed page's opaque origin is allowed only while GraphiQL is on
      const opaque = {
        method: 'POST',
        headers: { origin: 'null', 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      };
      expect(
        (await on.app.fetch('http://coinslot.test/graphql', opaque)).headers.get('access-control-allow-origin'),
      ).toBe('null');
      expect(
        (await off.app.fetch('http://coinslot.test/graphql', opaque)).headers.get('access-control-allow-origin'),
      ).toBeNull();
    } finally {
      await on.close();
      await off.close();
    }
  });

  it('answers a chunked body and a preflight over a real socket (no 500)', async () => {
    const app = await createTestApp({ listen: true });
    try {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"query":"{ __typename }"}'));
          controller.close();
        },
      });
      const chunked = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(200);
      expect(await chunked.json()).toEqual({ data: { __typename: 'Query' } });
      const preflight = await fetch(`${app.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await app.close();
    }
  });
});
