import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquirerRejectedError } from '../../../src/shared/acquirer-port.js';
import { key, startAcquirer, type AcquirerHarness } from './harness.js';

let h: AcquirerHarness;
let token: string;
beforeAll(async () => {
  h = await startAcquirer();
  token = await h.token('5555555555554444');
});
afterAll(async () => {
  await h?.close();
});

async function newCharge(amountMinor: number) {
  const idempotencyKey = key('charge');
  const charge = await h.client.charge({ token, amountMinor, currency: 'KWD', idempotencyKey });
  expect(charge.status).toBe('approved');
  return { ...charge, idempotencyKey };
}

describe('refunds', () => {
  it('refunds part of a charge, then the rest, and nothing more', async () => {
    const charge = await newCharge(1_250);
    const part = await h.client.refund({ chargeId: charge.chargeId, amountMinor: 250, idempotencyKey: key() });
    expect(part).toMatchObject({ chargeId: charge.chargeId, amountMinor: 250, currency: 'KWD', status: 'succeeded' });
    const rest = await h.client.refund({ chargeId: charge.chargeId, amountMinor: 1_000, idempotencyKey: key() });
    expect(rest.amountMinor).toBe(1_000);
    expect(rest.refundId).not.toBe(part.refundId);
    expect(await h.client.lookupCharge(charge.idempotencyKey)).toMatchObject({ refundedMinor: 1_250 });
    const more = await h.client
      .refund({ chargeId: charge.chargeId, amountMinor: 1, idempotencyKey: key() })
      .catch((e: unknown) => e);
    expect(more).toBeInstanceOf(AcquirerRejectedError);
    expect(more).toMatchObject({ httpStatus: 409, code: 'amount_exceeds_refundable' });
  });

  it('refunds a charge in full at once', async () => {
    const charge = await newCharge(999);
    const refund = await h.client.refund({ chargeId: charge.chargeId, amountMinor: 999, idempotencyKey: key() });
    expect(refund.amountMinor).toBe(999);
    expect(await h.client.lookupCharge(charge.idempotencyKey)).toMatchObject({
      refundedMinor: 999,
      status: 'approved',
    });
  });

  it('refuses a refund above the charge and leaves it untouched', async () => {
    const charge = await newCharge(500);
    const error = await h.client
      .refund({ chargeId: charge.chargeId, amountMinor: 501, idempotencyKey: key() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: 409, code: 'amount_exceeds_refundable' });
    expect(await h.client.lookupCharge(charge.idempotencyKey)).toMatchObject({ refundedMinor: 0 });
  });

  it('refunds once per idempotency key, however often it is repeated', async () => {
    const charge = await newCharge(1_000);
    const idempotencyKey = key('refund');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => h.client.refund({ chargeId: charge.chargeId, amountMinor: 300, idempotencyKey })),
    );
    expect(new Set(answers.map((a) => a.refundId)).size).toBe(1);
    expect(await h.client.lookupCharge(charge.idempotencyKey)).toMatchObject({ refundedMinor: 300 });
    const rows = await h.db.pool!.query('select count(*)::int as n from acquirer_refunds where charge_id = $1', [
      charge.chargeId,
    ]);
    expect(rows.rows[0].n).toBe(1);
  });

  it('never lets concurrent refunds with different keys exceed the charge', async () => {
    const charge = await newCharge(1_000);
    const settled = await Promise.allSettled(
      Array.from({ length: 7 }, () =>
        h.client.refund({ chargeId: charge.chargeId, amountMinor: 300, idempotencyKey: key() }),
      ),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    expect(
      settled
        .filter((s) => s.status === 'rejected')
        .every((s) => (s as PromiseRejectedResult).reason.code === 'amount_exceeds_refundable'),
    ).toBe(true);
    expect(await h.client.lookupCharge(charge.idempotencyKey)).toMatchObject({ refundedMinor: 900 });
  });

  it('refuses to refund a declined charge', async () => {
    const declinedToken = await h.token('4000000000000341');
    const charge = await h.client.charge({
      token: declinedToken,
      amountMinor: 100,
      currency: 'USD',
      idempotencyKey: key(),
    });
    expect(charge.status).toBe('declined');
    const error = await h.client
      .refund({ chargeId: charge.chargeId, amountMinor: 100, idempotencyKey: key() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: 409, code: 'charge_not_refundable' });
  });

  it('refuses an unknown charge', async () => {
    const error = await h.client
      .refund({ chargeId: 'ch_missing', amountMinor: 1, idempotencyKey: key() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: 404, code: 'no_such_charge' });
  });

  it('voids what is left after a partial refund, once', async () => {
    const charge = await newCharge(700);
    await h.client.refund({ chargeId: charge.chargeId, amountMinor: 200, idempotencyKey: key() });
    const voidKey = key('void');
    const voided = await h.client.voidCharge({ chargeId: charge.chargeId, idempotencyKey: voidKey });
    expect(voided).toMatchObject({ status: 'voided', amountMinor: 500 });
    expect(await h.client.voidCharge({ chargeId: charge.chargeId, idempotencyKey: voidKey })).toEqual(voided);
    const again = await h.client.voidCharge({ chargeId: charge.chargeId, idempotencyKey: key() });
    expect(again).toMatchObject({ status: 'voided', amountMinor: 0, refundId: null });
    expect(await h.client.lookupCharge(charge.idempotencyKey)).toMatchObject({ refundedMinor: 700 });
  });
});
