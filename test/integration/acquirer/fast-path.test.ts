import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import { createLogger } from '../../../src/logger.js';
import { createAcquirerServer, type AcquirerServer } from '../../../src/acquirer/index.js';
import { createHttpAcquirer, type HttpAcquirer } from '../../../src/adapters/acquirer/http-acquirer.js';
import { CVC, key, rawCaller, startAcquirer, type AcquirerHarness, type RawResponse } from './harness.js';

/**
 * The charge path of POST /v1/charges that runs its own statements (src/acquirer/charge-fast-path.ts), on both
 * drivers: the same answers as the general path, one charge per key under concurrency, the same key lock.
 */
interface Setup {
  readonly client: HttpAcquirer;
  raw(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<RawResponse>;
  chargeRows(idempotencyKey: string): Promise<number>;
  /** Whether the fast path's statements were prepared on the database (so it ran). */
  fastPathPrepared(): Promise<boolean>;
  close(): Promise<void>;
}

async function onPostgres(): Promise<Setup> {
  const h: AcquirerHarness = await startAcquirer();
  return {
    client: h.client,
    raw: h.raw,
    chargeRows: h.chargeRows,
    // PREPARE is per connection: look through the acquirer's pool, whose connections are the harness's.
    fastPathPrepared: async () => {
      const clients = await Promise.all(Array.from({ length: 8 }, () => h.db.pool!.connect()));
      try {
        const found = await Promise.all(
          clients.map((c) => c.query("select 1 from pg_prepared_statements where name = 'acquirer_charge'")),
        );
        return found.some((r) => r.rowCount === 1);
      } finally {
        for (const c of clients) c.release();
      }
    },
    close: () => h.close(),
  };
}

/** The acquirer alone on an in-memory PGlite, as `npm run acquirer` without DATABASE_URL. */
async function onPglite(): Promise<Setup> {
  const db: DatabaseHandle = await openDatabase({ dataDir: '.data/test', inMemory: true });
  await runMigrations(db);
  const secret = `acquirer-test-secret-${randomUUID()}`;
  const server: AcquirerServer = createAcquirerServer({
    db: db.db,
    secret,
    testMode: true,
    disputeDelayMs: 100,
    sweepIntervalMs: 100,
    logger: createLogger('silent'),
  });
  const url = await server.listen(0);
  const client = createHttpAcquirer({ baseUrl: url, secret, timeoutMs: 5_000, backoffMs: 5 });
  return {
    client,
    raw: rawCaller(url, secret),
    async chargeRows(idempotencyKey) {
      const result = await db.pglite!.query<{ n: number }>(
        'select count(*)::int as n from acquirer_charges where idempotency_key = $1',
        [idempotencyKey],
      );
      return result.rows[0]!.n;
    },
    async fastPathPrepared() {
      return (
        (await db.pglite!.query("select 1 from pg_prepared_statements where name = 'acquirer_charge'")).rows.length ===
        1
      );
    },
    async close() {
      await client.close();
      await server.close();
      await db.close();
    },
  };
}

describe.each([
  ['Postgres', onPostgres],
  ['PGlite', onPglite],
])('charges on %s', (_driver, start) => {
  let s: Setup;
  let token: string;
  beforeAll(async () => {
    s = await start();
    const result = await s.client.tokenizeCard({
      number: '4242424242424242',
      expMonth: 12,
      expYear: new Date().getUTCFullYear() + 3,
      cvc: CVC,
      holderName: 'Fast Path',
    });
    if (!result.ok) throw new Error('card declined');
    token = result.token;
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const charge = (idempotencyKey: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    s.raw('POST', '/v1/charges', { body, headers: { 'idempotency-key': idempotencyKey, ...headers } });

  it('charges under a key holding quotes and backslashes, replays it, and finds it by that key', async () => {
    const idempotencyKey = `q'"\\;--${randomUUID()}`;
    const body = { token, amountMinor: 4_321, currency: 'EUR' };
    const first = await charge(idempotencyKey, body);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      status: 'approved',
      risk: 'normal',
      amountMinor: 4_321,
      currency: 'EUR',
      refundedMinor: 0,
      idempotencyKey,
    });
    expect(first.json.chargeId).toMatch(/^ch_/);
    const again = await charge(idempotencyKey, body);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    // The lookup takes the key's lock and reads the row through the general path's statements.
    expect(await s.client.lookupCharge(idempotencyKey)).toMatchObject({
      chargeId: first.json.chargeId,
      status: 'approved',
    });
    expect((await s.raw('GET', `/v1/charges/${first.json.chargeId}`)).json).toEqual(first.json);
    expect(await s.chargeRows(idempotencyKey)).toBe(1);
    expect(await s.fastPathPrepared()).toBe(true);
  });

  it('makes one charge out of concurrent duplicates, and a concurrent other request under the key gets 422', async () => {
    const idempotencyKey = key('race');
    const body = { token, amountMinor: 700, currency: 'USD' };
    const responses = await Promise.all([
      ...Array.from({ length: 12 }, () => charge(idempotencyKey, body, { connection: 'close' })),
      charge(idempotencyKey, { ...body, amountMinor: 701 }, { connection: 'close' }),
    ]);
    const statuses = responses.map((r) => r.status);
    const winners = responses.filter((r) => r.status === 201);
    expect(new Set(winners.map((r) => r.json.chargeId)).size).toBe(1);
    expect(statuses.filter((status) => status === 422).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 201 || status === 422)).toBe(true);
    expect(await s.chargeRows(idempotencyKey)).toBe(1);
    expect((await s.client.lookupCharge(idempotencyKey))?.amountMinor).toBe(winners[0]!.json.amountMinor);
  });

  it('shares the key lock with the general path: a valid charge racing an unknown token under one key charges once', async () => {
    const idempotencyKey = key('mixed');
    const [valid, unknown] = await Promise.all([
      charge(idempotencyKey, { token, amountMinor: 55, currency: 'USD' }, { connection: 'close' }),
      charge(idempotencyKey, { token: 'tok_unknown', amountMinor: 55, currency: 'USD' }, { connection: 'close' }),
    ]);
    expect(valid!.status).toBe(201);
    // Either the unknown token ran first (404, nothing stored) or it found the valid charge's key (422).
    expect([404, 422]).toContain(unknown!.status);
    expect(await s.chargeRows(idempotencyKey)).toBe(1);
  });

  it('answers a used key with another body 422 before checking that body, as the general path does', async () => {
    const idempotencyKey = key('reuse');
    expect((await charge(idempotencyKey, { token, amountMinor: 100, currency: 'USD' })).status).toBe(201);
    for (const body of [
      { token: 'tok_unknown', amountMinor: 100, currency: 'USD' },
      { token, amountMinor: -1, currency: 'USD' },
      { token: "tok_'", amountMinor: 1, currency: 'USD' },
    ]) {
      const response = await charge(idempotencyKey, body);
      expect(response.status).toBe(422);
      expect(response.json.error.code).toBe('idempotency_key_reused');
    }
    expect(await s.chargeRows(idempotencyKey)).toBe(1);
  });

  it('refuses a fresh key past its deadline with nothing done, and still replays a stored answer past it', async () => {
    const late = { 'acquirer-deadline': String(Date.now() - 1) };
    const fresh = key('late');
    const refused = await charge(fresh, { token, amountMinor: 900, currency: 'USD' }, late);
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatchObject({ code: 'deadline_exceeded', outcome: 'none' });
    expect(await s.chargeRows(fresh)).toBe(0);
    expect(await s.client.lookupCharge(fresh)).toBeNull();

    const stored = key('stored');
    const first = await charge(stored, { token, amountMinor: 901, currency: 'USD' });
    const replayed = await charge(stored, { token, amountMinor: 901, currency: 'USD' }, late);
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json).toEqual(first.json);
    expect((await charge(stored, { token, amountMinor: 902, currency: 'USD' }, late)).status).toBe(422);
  });

  it('records declines and the CVC check as the general path does', async () => {
    const wrongCvc = await charge(key('cvc'), { token, amountMinor: 10, currency: 'USD', cvc: '999' });
    expect(wrongCvc.status).toBe(201);
    expect(wrongCvc.json).toMatchObject({ status: 'declined', declineCode: 'incorrect_cvc', risk: 'normal' });
    const rightCvc = await charge(key('cvc'), { token, amountMinor: 10, currency: 'USD', cvc: CVC });
    expect(rightCvc.json).toMatchObject({ status: 'approved' });
    expect(rightCvc.json).not.toHaveProperty('declineCode');
  });
});

describe('statements of a charge on Postgres', () => {
  let h: AcquirerHarness;
  beforeAll(async () => {
    h = await startAcquirer({ sweepIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('takes two round trips to the database once the card is known (begin + lock; charge + commit), and so does a replay', async () => {
    const token = await h.token('4242424242424242');
    await h.client.charge({ token, amountMinor: 1, currency: 'USD', idempotencyKey: key('warm') });
    const queries: string[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string };
      queries.push(typeof config === 'string' ? config : String(config?.text));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      const idempotencyKey = key('count');
      const charged = await h.client.charge({ token, amountMinor: 2, currency: 'USD', idempotencyKey });
      expect(queries).toHaveLength(2);
      expect(queries[0]).toMatch(/^begin; execute acquirer_lock_key\(/);
      expect(queries[1]).toMatch(/^execute acquirer_charge\(.*; commit$/s);
      queries.length = 0;
      expect((await h.client.charge({ token, amountMinor: 2, currency: 'USD', idempotencyKey })).chargeId).toBe(
        charged.chargeId,
      );
      expect(queries).toHaveLength(2);
    } finally {
      pg.Client.prototype.query = query;
    }
  });
});
