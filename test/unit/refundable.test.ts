// What is left of a purchase to refund: one formula (price − refunds, pending included − disputes),
// used by refundPurchase, the dispute recording and top-up, and the `refundable` field.
import { describe, expect, it } from 'vitest';
import { refundable, refundedSoFar, remaining } from '../../src/modules/purchases/index.js';

const paid = { amountMinor: 1000, refundedOrPendingMinor: 0, refundPendingMinor: 0, status: 'SUCCEEDED' as const };

describe('remaining', () => {
  it('is the price when nothing went back', () => {
    expect(remaining(paid, 0)).toBe(1000);
  });

  it('takes off refunds, pending ones included, and disputes', () => {
    expect(remaining({ ...paid, refundedOrPendingMinor: 300 }, 200)).toBe(500);
  });

  it('never goes below zero when a dispute took more than was left', () => {
    expect(remaining({ ...paid, refundedOrPendingMinor: 900 }, 400)).toBe(0);
  });
});

describe('refundable', () => {
  it('is what remains while the purchase is SUCCEEDED or PARTIALLY_REFUNDED', () => {
    expect(refundable({ ...paid, refundedOrPendingMinor: 250 }, 0)).toBe(750);
    expect(refundable({ ...paid, refundedOrPendingMinor: 250, status: 'PARTIALLY_REFUNDED' }, 100)).toBe(650);
  });

  it('is zero in every other status, whatever the amounts', () => {
    for (const status of ['PROCESSING', 'FAILED', 'REFUNDED', 'CANCELED', 'REQUIRES_CONFIRMATION'] as const)
      expect(refundable({ ...paid, status }, 0)).toBe(0);
  });
});

describe('refundedSoFar', () => {
  it('counts only refunds the acquirer answered, not reserved ones', () => {
    expect(refundedSoFar({ refundedOrPendingMinor: 700, refundPendingMinor: 200 })).toBe(500);
  });
});
