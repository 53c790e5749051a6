import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { createLogger } from '../../../src/logger.js';
import { createAcquirerServer, type AcquirerServer, type AcquirerServerOptions } from '../../../src/acquirer/index.js';
import {
  createHttpAcquirer,
  type HttpAcquirer,
  type HttpAcquirerOptions,
} from '../../../src/adapters/acquirer/http-acquirer.js';
import type { ChargeResult } from '../../../src/shared/acquirer-port.js';
import { testDatabaseUrl } from '../../helpers/env.js';

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: any;
}

export interface AcquirerHarness {
  readonly db: DatabaseHandle;
  readonly server: AcquirerServer;
  readonly url: string;
  readonly secret: string;
  readonly client: HttpAcquirer;
  /** Every log line the acquirer and the client wrote. */
  readonly logs: string[];
  /** A client with other options against the same acquirer. */
  newClient(options?: Partial<HttpAcquirerOptions>): HttpAcquirer;
  /** A plain HTTP call with the right secret (unless headers override it). */
  raw(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<RawResponse>;
  /** Arms a fault through the test control endpoint. */
  fault(spec: {
    mode: string;
    ms?: number;
    count?: number;
    phase?: 'before' | 'after';
    path?: string;
    method?: string;
  }): Promise<void>;
  /** Tokenizes a card that must verify, returning its token. */
  token(number: string, cvc?: string): Promise<string>;
  /** Rows in acquirer_charges with this idempotency key. */
  chargeRows(idempotencyKey: string): Promise<number>;
  close(): Promise<void>;
}

/** Plain HTTP requests to an acquirer at `url` with its secret, for what the client does not send. */
export function rawCaller(url: string, secret: string): AcquirerHarness['raw'] {
  return async (method, path, { body, headers } = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
  };
}

export const CVC = '123';
export const AMEX_CVC = '1234';

/** A sandbox acquirer on a free port over the test Postgres database, with a client for it. */
export async function startAcquirer(
  options: Partial<Omit<AcquirerServerOptions, 'db' | 'logger'>> = {},
  clientOptions: Partial<HttpAcquirerOptions> = {},
): Promise<AcquirerHarness> {
  const db = await openDatabase({ url: testDatabaseUrl(), dataDir: '.data/test', poolSize: 8 });
  const logs: string[] = [];
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  // A secret of its own: each test acquirer is its own merchant account on the shared tables.
  const secret = options.secret ?? `acquirer-test-secret-${randomUUID()}`;
  const server = createAcquirerServer({
    db: db.db,
    testMode: true,
    disputeDelayMs: 100,
    sweepIntervalMs: 100,
    logger,
    ...options,
    secret,
  });
  const url = await server.listen(0);
  const clients: HttpAcquirer[] = [];
  const newClient = (extra: Partial<HttpAcquirerOptions> = {}): HttpAcquirer => {
    const client = createHttpAcquirer({
      baseUrl: url,
      secret,
      timeoutMs: 5_000,
      backoffMs: 5,
      logger,
      ...clientOptions,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();

  const raw = rawCaller(url, secret);

  return {
    db,
    server,
    url,
    secret,
    client,
    logs,
    newClient,
    raw,
    async fault(spec) {
      const response = await raw('POST', '/v1/test/faults', { body: spec });
      if (response.status !== 201) throw new Error(`arming fault failed: ${JSON.stringify(response.json)}`);
    },
    async token(number, cvc = CVC) {
      const result = await client.tokenizeCard({
        number,
        expMonth: 12,
        expYear: new Date().getUTCFullYear() + 3,
        cvc,
        holderName: 'Test Holder',
      });
      if (!result.ok) throw new Error(`card ${number.slice(-4)} declined at verification: ${result.declineCode}`);
      return result.token;
    },
    async chargeRows(idempotencyKey) {
      const result = await db.pool!.query(
        'select count(*)::int as n from acquirer_charges where idempotency_key = $1',
        [idempotencyKey],
      );
      return result.rows[0].n as number;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
      await db.close();
    },
  };
}

/** A fresh idempotency key. */
export function key(label = 'k'): string {
  return `${label}-${randomUUID()}`;
}

/** The charge the acquirer holds for a key, for assertions. */
export async function charged(h: AcquirerHarness, idempotencyKey: string): Promise<ChargeResult | null> {
  return h.client.lookupCharge(idempotencyKey);
}
