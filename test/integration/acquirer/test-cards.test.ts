import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquirerRejectedError, AcquirerUnavailableError } from '../../../src/shared/acquirer-port.js';
import { AMEX_CVC, CVC, key, startAcquirer, type AcquirerHarness } from './harness.js';

let h: AcquirerHarness;
beforeAll(async () => {
  h = await startAcquirer();
});
afterAll(async () => {
  await h?.close();
});

const year = new Date().getUTCFullYear() + 2;
const card = (number: string, cvc = CVC) => ({ number, expMonth: 6, expYear: year, cvc, holderName: 'Ada Lovelace' });

describe('verification (tokenize) by test card', () => {
  it.each([
    ['4242424242424242', 'visa', '4242'],
    ['5555555555554444', 'mastercard', '4444'],
    ['4000002760003184', 'visa', '3184'],
    ['4100000000000019', 'visa', '0019'],
    ['4000000000000259', 'visa', '0259'],
    ['4000000000000119', 'visa', '0119'],
    ['4000000000000341', 'visa', '0341'],
    ['4000000000009235', 'visa', '9235'],
    ['6011111111111117', 'discover', '1117'],
  ])('verifies %s as %s ending %s', async (number, brand, last4) => {
    const result = await h.client.tokenizeCard(card(number));
    expect(result).toMatchObject({ ok: true, brand, last4, expMonth: 6, expYear: year });
    if (result.ok) expect(result.token).toMatch(/^tok_/);
  });

  it('verifies the American Express card with a 4-digit CVC and refuses a 3-digit one', async () => {
    const result = await h.client.tokenizeCard(card('378282246310005', AMEX_CVC));
    expect(result).toMatchObject({ ok: true, brand: 'american-express', last4: '0005' });
    const wrong = await h.client.tokenizeCard(card('378282246310005', CVC)).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AcquirerRejectedError);
    expect(wrong).toMatchObject({ httpStatus: 400, code: 'invalid_request' });
  });

  it.each([
    ['4000000000000002', 'generic_decline'],
    ['4000000000009995', 'insufficient_funds'],
    ['4000000000000069', 'expired_card'],
    ['4000000000000127', 'incorrect_cvc'],
    ['4242424242424241', 'incorrect_number'],
  ])('declines %s at verification with %s', async (number, declineCode) => {
    expect(await h.client.tokenizeCard(card(number))).toEqual({ ok: false, declineCode });
  });

  it('declines a card whose expiry has passed', async () => {
    const result = await h.client.tokenizeCard({
      ...card('4242424242424242'),
      expYear: new Date().getUTCFullYear() - 1,
    });
    expect(result).toEqual({ ok: false, declineCode: 'expired_card' });
  });

  it('refuses malformed input as a bad request, not a decline', async () => {
    for (const bad of [
      card('4242abcd42424242'),
      card('4'.repeat(30)),
      { ...card('4242424242424242'), expMonth: 13 },
      { ...card('4242424242424242'), cvc: '12' },
      { ...card('4242424242424242'), holderName: '  ' },
    ]) {
      const error = await h.client.tokenizeCard(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AcquirerRejectedError);
      expect((error as AcquirerRejectedError).httpStatus).toBe(400);
    }
  });
});

describe('charges by test card', () => {
  const charge = async (number: string, extra: { cvc?: string; amountMinor?: number } = {}) => {
    const token = await h.token(number, number.startsWith('37') ? AMEX_CVC : CVC);
    const idempotencyKey = key('charge');
    const result = await h.client.charge({
      token,
      amountMinor: extra.amountMinor ?? 1_250,
      currency: 'USD',
      idempotencyKey,
      ...(extra.cvc ? { cvc: extra.cvc } : {}),
    });
    return { token, idempotencyKey, result };
  };

  it.each([
    ['4242424242424242', 'normal'],
    ['5555555555554444', 'normal'],
    ['378282246310005', 'normal'],
    ['4000000000000259', 'normal'],
    ['4100000000000019', 'highest'],
    ['4000000000009235', 'elevated'],
    ['6011111111111117', 'normal'],
  ])('approves %s with risk %s', async (number, risk) => {
    const { result, idempotencyKey } = await charge(number);
    expect(result).toMatchObject({
      status: 'approved',
      risk,
      amountMinor: 1_250,
      currency: 'USD',
      refundedMinor: 0,
      idempotencyKey,
    });
    expect(result.chargeId).toMatch(/^ch_/);
    expect(result.declineCode).toBeUndefined();
  });

  it('declines every charge of 0341 with card_declined although it verified', async () => {
    const token = await h.token('4000000000000341');
    for (let i = 0; i < 2; i += 1) {
      const result = await h.client.charge({ token, amountMinor: 500, currency: 'EUR', idempotencyKey: key() });
      expect(result).toMatchObject({
        status: 'declined',
        declineCode: 'card_declined',
        amountMinor: 500,
        currency: 'EUR',
      });
    }
  });

  it('asks for action on every charge of 3184 and approves it once confirmed with the CVC', async () => {
    const token = await h.token('4000002760003184');
    for (const cvc of [undefined, CVC]) {
      const idempotencyKey = key();
      const first = await h.client.charge({
        token,
        amountMinor: 700,
        currency: 'USD',
        idempotencyKey,
        ...(cvc ? { cvc } : {}),
      });
      expect(first.status).toBe('requires_action');
      const confirmed = await h.client.confirmCharge({ idempotencyKey, cvc: CVC });
      expect(confirmed).toMatchObject({ status: 'approved', chargeId: first.chargeId, risk: 'normal' });
      // Confirming again changes nothing.
      expect(await h.client.confirmCharge({ idempotencyKey, cvc: '999' })).toMatchObject({
        status: 'approved',
        chargeId: first.chargeId,
      });
    }
  });

  it('declines a 3184 charge confirmed with the wrong CVC', async () => {
    const { idempotencyKey, result } = await charge('4000002760003184');
    expect(result.status).toBe('requires_action');
    const confirmed = await h.client.confirmCharge({ idempotencyKey, cvc: '321' });
    expect(confirmed).toMatchObject({ status: 'declined', declineCode: 'incorrect_cvc', chargeId: result.chargeId });
    expect(await h.client.lookupCharge(idempotencyKey)).toMatchObject({
      status: 'declined',
      declineCode: 'incorrect_cvc',
    });
  });

  it('checks a CVC sent with a charge against the card', async () => {
    expect((await charge('4242424242424242', { cvc: CVC })).result.status).toBe('approved');
    expect((await charge('4242424242424242', { cvc: '999' })).result).toMatchObject({
      status: 'declined',
      declineCode: 'incorrect_cvc',
    });
  });

  it('fails 0119 as a retryable acquirer fault with nothing charged', async () => {
    const token = await h.token('4000000000000119');
    const idempotencyKey = key();
    const error = await h.client
      .charge({ token, amountMinor: 900, currency: 'USD', idempotencyKey })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AcquirerUnavailableError);
    expect(error).toMatchObject({ outcomeUnknown: false, retryable: true, httpStatus: 503, code: 'processing_error' });
    expect(await h.client.lookupCharge(idempotencyKey)).toBeNull();
    expect(await h.chargeRows(idempotencyKey)).toBe(0);
  });

  it('voids the highest-risk charge by refunding it in full', async () => {
    const { result, idempotencyKey } = await charge('4100000000000019', { amountMinor: 4_000 });
    const voided = await h.client.voidCharge({ chargeId: result.chargeId, idempotencyKey: key('void') });
    expect(voided).toMatchObject({ chargeId: result.chargeId, status: 'voided', amountMinor: 4_000, currency: 'USD' });
    expect(voided.refundId).toMatch(/^re_/);
    expect(await h.client.lookupCharge(idempotencyKey)).toMatchObject({ status: 'approved', refundedMinor: 4_000 });
  });

  it('cancels a charge still waiting for action when voided', async () => {
    const { result, idempotencyKey } = await charge('4000002760003184');
    const voided = await h.client.voidCharge({ chargeId: result.chargeId, idempotencyKey: key('void') });
    expect(voided).toMatchObject({ status: 'canceled', refundId: null, amountMinor: 0 });
    expect(await h.client.confirmCharge({ idempotencyKey, cvc: CVC })).toMatchObject({
      status: 'declined',
      declineCode: 'canceled',
    });
  });

  it('refuses a charge on an unknown token and a non-ISO currency', async () => {
    const unknown = await h.client
      .charge({ token: 'tok_nope', amountMinor: 100, currency: 'USD', idempotencyKey: key() })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ httpStatus: 404, code: 'no_such_token' });
    const token = await h.token('4242424242424242');
    const currency = await h.client
      .charge({ token, amountMinor: 100, currency: 'GEM', idempotencyKey: key() })
      .catch((e: unknown) => e);
    expect(currency).toBeInstanceOf(AcquirerRejectedError);
    expect(currency).toMatchObject({ httpStatus: 400 });
  });

  it('charges amounts in the currency minor unit exactly, up to safe integers', async () => {
    const { result } = await charge('4242424242424242', { amountMinor: Number.MAX_SAFE_INTEGER });
    expect(result.amountMinor).toBe(Number.MAX_SAFE_INTEGER);
  });
});
