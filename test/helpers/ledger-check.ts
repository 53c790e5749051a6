import { expect } from 'vitest';
import { checkLedger } from '../../src/modules/ledger/index.js';
import type { TestApp } from './test-app.js';

/** Asserts every ledger invariant holds (all games, or one purchase's postings). */
export async function expectLedgerBalanced(
  app: TestApp,
  scope: { purchaseId?: string; gameId?: string } = {},
): Promise<void> {
  const violations = await checkLedger(app.database.db, scope);
  expect(violations).toEqual([]);
}
