import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, TRANSITIONS } from '../../src/modules/purchases/purchase-state.js';
import { purchaseStatuses } from '../../src/db/schema/purchases.js';

describe('purchase state machine', () => {
  it('follows the diagram of docs/architecture.md', () => {
    expect(canTransition('REQUIRES_CONFIRMATION', 'PROCESSING')).toBe(true);
    expect(canTransition('REQUIRES_CONFIRMATION', 'CANCELED')).toBe(true);
    expect(canTransition('PROCESSING', 'SUCCEEDED')).toBe(true);
    expect(canTransition('PROCESSING', 'FAILED')).toBe(true);
    expect(canTransition('PROCESSING', 'REQUIRES_ACTION')).toBe(true);
    expect(canTransition('REQUIRES_ACTION', 'PROCESSING')).toBe(true);
    expect(canTransition('SUCCEEDED', 'REFUNDED')).toBe(true);
    expect(canTransition('SUCCEEDED', 'PARTIALLY_REFUNDED')).toBe(true);
    expect(canTransition('PARTIALLY_REFUNDED', 'REFUNDED')).toBe(true);
  });

  it('never leaves a final status and never un-charges a success into failure', () => {
    for (const to of purchaseStatuses) {
      for (const from of ['FAILED', 'CANCELED', 'REFUNDED'] as const) expect(canTransition(from, to)).toBe(false);
      if (to !== 'REFUNDED' && to !== 'PARTIALLY_REFUNDED') expect(canTransition('SUCCEEDED', to)).toBe(false);
    }
    expect(() => assertTransition('SUCCEEDED', 'FAILED')).toThrow(/cannot become failed/);
    expect(canTransition('PROCESSING', 'CANCELED')).toBe(false);
  });

  it('names every status', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...purchaseStatuses].sort());
  });
});
