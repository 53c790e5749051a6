import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquirerRejectedError } from '../../../src/shared/acquirer-port.js';
import { CVC, key, startAcquirer, type AcquirerHarness } from './harness.js';

let h: AcquirerHarness;
let token: string;
beforeAll(async () => {
  h = await startAcquirer();
  token = await h.token('4242424242424242');
});
afterAll(async () => {
  await h?.close();
});

describe('Idempotency-Key on POST', () => {
  it('replays the stored answer for the same key and body, without a second charge', async () => {
    const idempotencyKey = key();
    const body = { token, amountMinor: 1_999, currency: 'USD' };
    const first = await h.raw('POST', '/v1/charges', { body, headers: { 'idempotency-key': idempotencyKey } });
    // The same body with keys in another order and other whitespace is the same request.
    const second = await h.raw('POST', '/v1/charges', {
      body: { currency: 'USD', amountMinor: 1_999, token },
      headers: { 'idempotency-key': idempotencyKey },
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json).toEqual(first.json);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('answers 422 when the key comes back with another body, and charges nothing more', async () => {
    const idempotencyKey = key();
    const first = await h.raw('POST', '/v1/charges', {
      body: { token, amountMinor: 100, currency: 'USD' },
      headers: { 'idempotency-key': idempotencyKey },
    });
    expect(first.status).toBe(201);
    const other = await h.raw('POST', '/v1/charges', {
      body: { token, amountMinor: 101, currency: 'USD' },
      headers: { 'idempotency-key': idempotencyKey },
    });
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe('idempotency_key_reused');
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
    expect((await h.client.lookupCharge(idempotencyKey))?.amountMinor).toBe(100);
  });

  it('makes one charge from many concurrent duplicates, all answered alike', async () => {
    const idempotencyKey = key();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => h.client.charge({ token, amountMinor: 2_500, currency: 'USD', idempotencyKey })),
    );
    expect(new Set(results.map((r) => r.chargeId)).size).toBe(1);
    expect(results.every((r) => r.status === 'approved')).toBe(true);
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('makes one charge from concurrent raw duplicates over separate connections', async () => {
    const idempotencyKey = key();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.raw('POST', '/v1/charges', {
          body: { token, amountMinor: 300, currency: 'JPY' },
          headers: { 'idempotency-key': idempotencyKey, connection: 'close' },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.json.chargeId)).size).toBe(1);
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('requires a key on charges', async () => {
    const response = await h.raw('POST', '/v1/charges', { body: { token, amountMinor: 100, currency: 'USD' } });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('idempotency_key_required');
  });

  it('replays a tokenization, decline included, under its key', async () => {
    const idempotencyKey = key();
    const body = { number: '4242424242424242', expMonth: 1, expYear: 2099, cvc: CVC, holderName: 'Replay' };
    const first = await h.raw('POST', '/v1/tokens', { body, headers: { 'idempotency-key': idempotencyKey } });
    const second = await h.raw('POST', '/v1/tokens', { body, headers: { 'idempotency-key': idempotencyKey } });
    expect(first.status).toBe(201);
    expect(second.json.token).toBe(first.json.token);
    const cards = await h.db.pool!.query("select count(*)::int as n from acquirer_cards where holder_name = 'Replay'");
    expect(cards.rows[0].n).toBe(1);

    const declineKey = key();
    const declineBody = { ...body, number: '4000000000009995' };
    const declined = await h.raw('POST', '/v1/tokens', {
      body: declineBody,
      headers: { 'idempotency-key': declineKey },
    });
    const replayed = await h.raw('POST', '/v1/tokens', {
      body: declineBody,
      headers: { 'idempotency-key': declineKey },
    });
    expect(declined.status).toBe(402);
    expect(replayed.status).toBe(402);
    expect(replayed.json).toEqual(declined.json);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });

  it('does not store refusals: the key stays usable after a bad request', async () => {
    const idempotencyKey = key();
    const bad = await h.raw('POST', '/v1/charges', {
      body: { token, amountMinor: -5, currency: 'USD' },
      headers: { 'idempotency-key': idempotencyKey },
    });
    expect(bad.status).toBe(400);
    const good = await h.raw('POST', '/v1/charges', {
      body: { token, amountMinor: 5, currency: 'USD' },
      headers: { 'idempotency-key': idempotencyKey },
    });
    expect(good.status).toBe(201);
  });

  it('keeps keys of different operations apart', async () => {
    const shared = key();
    const charge = await h.client.charge({ token, amountMinor: 800, currency: 'USD', idempotencyKey: shared });
    const refund = await h.client.refund({ chargeId: charge.chargeId, amountMinor: 100, idempotencyKey: shared });
    expect(refund.amountMinor).toBe(100);
  });

  it('surfaces a reused key through the client as a rejection', async () => {
    const idempotencyKey = key();
    await h.client.charge({ token, amountMinor: 10, currency: 'USD', idempotencyKey });
    const error = await h.client
      .charge({ token, amountMinor: 11, currency: 'USD', idempotencyKey })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AcquirerRejectedError);
    expect(error).toMatchObject({ httpStatus: 422, code: 'idempotency_key_reused' });
  });
});
