import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquirerRejectedError } from '../../../src/shared/acquirer-port.js';
import { createHttpAcquirer } from '../../../src/adapters/acquirer/http-acquirer.js';
import { decryptCardNumber, deriveKeys } from '../../../src/acquirer/crypto.js';
import { SANDBOX_TEST_CARD_NUMBERS } from '../../../src/shared/sandbox-test-cards.js';
import { AMEX_CVC, CVC, key, startAcquirer, type AcquirerHarness } from './harness.js';

// The published sandbox cards (src/acquirer/README.md), from the one list Coinslot keeps of them.
const TEST_CARDS = [...SANDBOX_TEST_CARD_NUMBERS];

let h: AcquirerHarness;
beforeAll(async () => {
  h = await startAcquirer();
});
afterAll(async () => {
  await h?.close();
});

/** Matches a number written plainly or in groups with spaces or dashes. */
const panPattern = (number: string) => number.split('').join('[ -]?');

describe('authentication', () => {
  it('refuses a wrong or missing secret on every route', async () => {
    const intruder = createHttpAcquirer({
      baseUrl: h.url,
      secret: 'not-the-secret-not-the-secret-xx',
      timeoutMs: 1_000,
    });
    const error = await intruder
      .tokenizeCard({ number: '4242424242424242', expMonth: 1, expYear: 2099, cvc: CVC, holderName: 'X' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AcquirerRejectedError);
    expect(error).toMatchObject({ httpStatus: 401, code: 'unauthorized' });
    expect(await intruder.lookupCharge('anything').catch((e: unknown) => e)).toMatchObject({ httpStatus: 401 });
    await intruder.close();
    for (const [method, path] of [
      ['POST', '/v1/charges'],
      ['GET', '/v1/charges?idempotency_key=x'],
      ['GET', '/v1/disputes'],
      ['POST', '/v1/test/faults'],
    ] as const) {
      expect(
        (await h.raw(method, path, { body: method === 'POST' ? {} : undefined, headers: { authorization: '' } }))
          .status,
      ).toBe(401);
      expect(
        (
          await h.raw(method, path, {
            body: method === 'POST' ? {} : undefined,
            headers: { authorization: `Bearer ${h.secret}x` },
          })
        ).status,
      ).toBe(401);
    }
  });
});

describe('card numbers at rest and in logs', () => {
  it('keeps no clear card number in any column of any table, nor in any log line, yet can decrypt its own', async () => {
    await h.fault({ mode: 'error_after_charge', path: '/v1/tokens', count: 1 });
    const tokens: string[] = [];
    for (const number of TEST_CARDS) {
      const cvc = number.startsWith('37') ? AMEX_CVC : CVC;
      const result = await h.client.tokenizeCard({
        number,
        expMonth: 3,
        expYear: 2099,
        cvc,
        holderName: 'Scan Holder',
      });
      // The same number as typed with spaces, under a raw idempotency key (stored request hash and answer).
      await h.raw('POST', '/v1/tokens', {
        body: {
          number: number.replace(/(\d{4})/g, '$1 ').trim(),
          expMonth: 3,
          expYear: 2099,
          cvc,
          holderName: 'Scan Holder',
        },
        headers: { 'idempotency-key': key('scan') },
      });
      if (!result.ok) continue;
      tokens.push(result.token);
      await h.client
        .charge({ token: result.token, amountMinor: 100, currency: 'USD', idempotencyKey: key('scan') })
        .catch(() => undefined);
    }
    expect(tokens.length).toBeGreaterThanOrEqual(9);

    const pool = h.db.pool!;
    const tables = await pool.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['acquirer_cards', 'acquirer_charges', 'acquirer_idempotency_keys']),
    );
    const pattern = TEST_CARDS.map(panPattern).join('|');
    for (const { table_name } of tables.rows) {
      const found = await pool.query(
        `select count(*)::int as n from "${table_name.replace(/"/g, '')}" as row where row::text ~ $1`,
        [pattern],
      );
      expect({ table: table_name, rows: found.rows[0].n }).toEqual({ table: table_name, rows: 0 });
    }
    // The scan can see a number when there is one: the same query finds it in a literal row.
    const control = await pool.query(
      'select count(*)::int as n from (select $2::text as v) as row where row::text ~ $1',
      [pattern, 'x 4000-0000-0000-0259 y'],
    );
    expect(control.rows[0].n).toBe(1);

    const logs = h.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(new RegExp(pattern).test(logs)).toBe(false);

    const [row] = (
      await pool.query('select token, number_ciphertext, cvc_verifier from acquirer_cards where token = $1', [
        tokens[0],
      ])
    ).rows;
    expect(decryptCardNumber(deriveKeys(h.secret), row.token, row.number_ciphertext)).toBe(TEST_CARDS[0]);
    expect(() =>
      decryptCardNumber(deriveKeys('another-secret-another-secret-xx'), row.token, row.number_ciphertext),
    ).toThrow();
    // Bound to its token: the ciphertext of one card cannot be passed off as another's.
    expect(() => decryptCardNumber(deriveKeys(h.secret), tokens[1]!, row.number_ciphertext)).toThrow();
    expect(row.cvc_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('merchant accounts', () => {
  it('keeps acquirers with different secrets on one database apart', async () => {
    const other = await startAcquirer();
    try {
      const token = await h.token('4242424242424242');
      const shared = key('shared');
      const mine = await h.client.charge({ token, amountMinor: 321, currency: 'USD', idempotencyKey: shared });
      // The other account sees neither the charge nor the token, and the same key there is its own.
      expect(await other.client.lookupCharge(shared)).toBeNull();
      expect((await other.raw('GET', `/v1/charges/${mine.chargeId}`)).status).toBe(404);
      expect(
        await other.client
          .refund({ chargeId: mine.chargeId, amountMinor: 1, idempotencyKey: key() })
          .catch((e: unknown) => e),
      ).toMatchObject({ httpStatus: 404 });
      expect(
        await other.client
          .charge({ token, amountMinor: 321, currency: 'USD', idempotencyKey: shared })
          .catch((e: unknown) => e),
      ).toMatchObject({ httpStatus: 404, code: 'no_such_token' });
      const otherToken = await other.token('4242424242424242');
      const theirs = await other.client.charge({
        token: otherToken,
        amountMinor: 999,
        currency: 'USD',
        idempotencyKey: shared,
      });
      expect(theirs.chargeId).not.toBe(mine.chargeId);
      expect((await h.client.lookupCharge(shared))?.chargeId).toBe(mine.chargeId);
    } finally {
      await other.close();
    }
  });
});
