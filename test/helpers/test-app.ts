import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/composition/index.js';
import type { Clock } from '../../src/shared/clock.js';
import { testDatabaseUrl, testRedisUrl } from './env.js';
import type { TadaDocumentNode } from './graphql.js';

export interface TestAppOptions {
  /** Extra environment (e.g. IDEMPOTENCY_RETENTION); merged over the test defaults. */
  readonly env?: Record<string, string>;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Listen on a free port (default false: drive it with app.fetch). */
  readonly listen?: boolean;
  /** The client for developer-supplied URLs (a test's own DNS lookup). */
  readonly outboundHttp?: StartOptions['outboundHttp'];
}

export interface GqlResponse<T = Record<string, any>> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly data: T;
  readonly errors?: { message: string; extensions?: Record<string, any>; path?: (string | number)[] }[];
}

export interface GqlOptions {
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
}

export interface TestApp extends RunningServer {
  readonly config: Config;
  /**
   * Runs one GraphQL operation; `token` goes in Authorization, `headers` beside it. A typed document
   * (`graphql()` from test/helpers/graphql.ts) types the variables and `data`; a plain string gives
   * untyped data (older suites, and hostile documents that must not typecheck).
   */
  gql<R, V>(document: TadaDocumentNode<R, V>, variables: V, options?: GqlOptions): Promise<GqlResponse<R>>;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: GqlOptions,
  ): Promise<GqlResponse<T>>;
}

/** The receipt signing key of every test instance (EC P-256, test only). */
export const TEST_RECEIPT_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 't87TalrjL1vkKNH52n88Gynos9pgjlDDdpH-0oTBaOU',
  y: 'We_dh3BV3XlRGrEn_wspNHvFbANjby6-qtr_gaLAqnM',
  d: 'iUdx1fUIR_hEOd0RPsUP3EwpPIqZGcZoMK4E0mElZaA',
  kid: 'test-receipt-key-1',
  alg: 'ES256',
  use: 'sig',
} as const;

/** Test environment: the real Postgres and Redis of the machine, a private Redis key prefix, fixed secrets. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'coinslot-test-')),
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    TOKEN_PEPPER: 'test-pepper-test-pepper-test-pepper-0001',
    CARD_FINGERPRINT_KEY: 'test-fingerprint-key-test-fingerprint-01',
    OPERATOR_TOKEN: 'op_test-operator-token-test-operator-token-01',
    ACQUIRER_SECRET: 'test-acquirer-secret-test-acquirer-secret-01',
    // Fixed like the others, so that several instances on one database decrypt and verify alike.
    WEBHOOK_SECRET_KEY: 'test-webhook-secret-key-test-webhook-secret-01',
    RECEIPT_SIGNING_KEYS: JSON.stringify([TEST_RECEIPT_KEY]),
    IDEMPOTENCY_ENCRYPTION_KEY: 'test-idempotency-key-test-idempotency-key-01',
    ACQUIRER_TEST_MODE: 'true',
    SEED_DEMO: 'false',
    // the tests' webhook receivers listen on loopback; test/security/ turns this off to prove the refusals
    WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true',
    // Above the 1 MiB default, so the bad-input and fuzz suites reach the field validation behind it;
    // test/security/http-hardening.test.ts sets its own small limit to prove the 413.
    MAX_BODY_BYTES: String(8 * 1024 * 1024),
    ...extra,
  };
}

/** A whole Coinslot on the test database and Redis, as `npm start` builds it. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig(testEnv(options.env));
  const server = await startServer(config, {
    clock: options.clock,
    logger: options.logger,
    listen: options.listen ?? false,
    outboundHttp: options.outboundHttp,
  });
  return asTestApp(server);
}

/** Adds the test conveniences to a running server (one built by createTestApp, or by startServer directly). */
export function asTestApp(server: RunningServer): TestApp {
  return {
    ...server,
    async gql(
      document: string | TadaDocumentNode<unknown, unknown>,
      variables: unknown = {},
      { token = null, headers = {} }: GqlOptions = {},
    ) {
      const query = typeof document === 'string' ? document : print(document);
      const response = await server.app.fetch('http://coinslot.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      const json = JSON.parse(text);
      return { status: response.status, headers: response.headers, text, data: json.data, errors: json.errors };
    },
  };
}

/** A unique email for a test's own account. */
export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}
