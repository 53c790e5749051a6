import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, formatMoney, MINOR_UNITS_MESSAGES, parseAmountMinor, splitFee } from '../../src/shared/money.js';

const total = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const weights = fc
  .array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 12 })
  .filter((w) => w.some((x) => x > 0));

/** |part − total·w/Σw| < 1, in exact integer arithmetic: |part·Σw − total·w| < Σw. */
function withinOneOfShare(part: number, amount: number, weight: number, weightSum: number): boolean {
  const diff = BigInt(part) * BigInt(weightSum) - BigInt(amount) * BigInt(weight);
  return (diff < 0n ? -diff : diff) < BigInt(weightSum);
}

describe('allocate (largest remainder)', () => {
  it('splits into parts that always sum to the whole', () => {
    fc.assert(
      fc.property(total, weights, (amount, w) => {
        const parts = allocate(amount, w);
        expect(parts).toHaveLength(w.length);
        expect(parts.reduce((a, b) => BigInt(a) + BigInt(b), 0n)).toBe(BigInt(amount));
      }),
    );
  });

  it('keeps each part a non-negative safe integer within 1 of its exact share', () => {
    fc.assert(
      fc.property(total, weights, (amount, w) => {
        const sum = w.reduce((a, b) => a + b, 0);
        allocate(amount, w).forEach((part, i) => {
          expect(Number.isSafeInteger(part) && part >= 0).toBe(true);
          expect(withinOneOfShare(part, amount, w[i]!, sum)).toBe(true);
        });
      }),
    );
  });

  it('gives a zero weight nothing and breaks ties toward the earlier part', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(5, [0, 1, 1])).toEqual([0, 3, 2]);
    expect(allocate(7, [3, 3, 3, 1])).toEqual([2, 2, 2, 1]);
  });

  it('refuses weights that sum to nothing', () => {
    expect(() => allocate(10, [0, 0])).toThrow();
  });
});

describe('splitFee', () => {
  it('splits awkward amounts at 3000 bps without losing a unit', () => {
    expect([1, 3, 7, 99].map((a) => splitFee(a, 3000))).toEqual([
      { fee: 0, net: 1 },
      { fee: 1, net: 2 },
      { fee: 2, net: 5 },
      { fee: 30, net: 69 },
    ]);
  });

  it('makes fee and net sum to the amount, the fee within 1 of amount × bps / 10000', () => {
    fc.assert(
      fc.property(total, fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        const { fee, net } = splitFee(amount, bps);
        expect(BigInt(fee) + BigInt(net)).toBe(BigInt(amount));
        expect(fee >= 0 && net >= 0).toBe(true);
        expect(withinOneOfShare(fee, amount, bps, 10_000)).toBe(true);
      }),
    );
  });

  it('never lowers the fee when the amount grows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        expect(splitFee(amount + 1, bps).fee).toBeGreaterThanOrEqual(splitFee(amount, bps).fee);
      }),
    );
  });

  it('takes nothing at 0 bps and everything at 10000 bps', () => {
    expect(splitFee(499, 0)).toEqual({ fee: 0, net: 499 });
    expect(splitFee(499, 10_000)).toEqual({ fee: 499, net: 0 });
  });
});

describe('parseAmountMinor, the one parser of amounts sent as strings of minor units', () => {
  it('reads whole minor units and says why anything else is refused, in one wording per reason', () => {
    expect(parseAmountMinor('499')).toBe(499);
    expect(parseAmountMinor(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    for (const raw of ['4.99', '1e3', '0x10', ' ', '', '+5', '-5', 'USD'])
      expect(parseAmountMinor(raw), raw).toEqual({
        message: raw === '-5' ? MINOR_UNITS_MESSAGES.not_positive : MINOR_UNITS_MESSAGES.not_an_integer,
      });
    expect(parseAmountMinor('0')).toEqual({ message: MINOR_UNITS_MESSAGES.not_positive });
    expect(parseAmountMinor('99999999999999999999')).toEqual({ message: MINOR_UNITS_MESSAGES.too_large });
  });

  it('takes zero where zero means something, and still no negative amount', () => {
    expect(parseAmountMinor('0', { allowZero: true })).toBe(0);
    expect(parseAmountMinor('-1', { allowZero: true })).toEqual({ message: 'must not be negative' });
  });
});

describe('formatMoney', () => {
  it('formats ISO currencies with their digits and game currencies as a grouped count, call after call', () => {
    for (let i = 0; i < 2; i++) {
      expect(formatMoney({ amountMinor: 499, currency: 'USD' })).toBe('$4.99');
      expect(formatMoney({ amountMinor: 150_000, currency: 'GEM' })).toBe('150,000 GEM');
      expect(formatMoney({ amountMinor: 7, currency: 'COIN' })).toBe('7 COIN');
      expect(formatMoney({ amountMinor: 1500, currency: 'GEM' }, 'de-DE')).toBe('1.500 GEM');
    }
  });
});
