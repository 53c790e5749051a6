import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { ledgerAccounts, ledgerEntries, ledgerTransactions } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';

/** A purchase's sale as the ledger has it, and how much of it refunds and disputes took back so far. */
export interface SalePosting {
  readonly amountMinor: number;
  readonly feeMinor: number;
  readonly netMinor: number;
  readonly currency: string;
  /** Refunded and disputed so far, in total. */
  readonly reversedMinor: number;
  readonly feeReturnedMinor: number;
  readonly netReturnedMinor: number;
}

/**
 * The posted sale of a purchase with its reversals so far (null when no sale is posted): what a
 * refund must pass to postRefund, what is left to refund, and the fee to show developers.
 */
export async function getSalePosting(executor: Executor, purchaseId: string): Promise<SalePosting | null> {
  if (!isUuid(purchaseId)) return null;
  const rows = await executor
    .select({
      sale: sql<boolean>`${ledgerTransactions.kind} = 'sale'`,
      kind: ledgerAccounts.kind,
      currency: ledgerEntries.currency,
      total: sql<number>`sum(${ledgerEntries.amountMinor})::bigint`.mapWith(Number),
    })
    .from(ledgerTransactions)
    .innerJoin(ledgerEntries, eq(ledgerEntries.transactionId, ledgerTransactions.id))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .where(
      and(
        eq(ledgerTransactions.purchaseId, purchaseId),
        inArray(ledgerTransactions.kind, ['sale', 'refund', 'dispute']),
      ),
    )
    .groupBy(sql`1`, ledgerAccounts.kind, ledgerEntries.currency);
  const saleRows = rows.filter((r) => r.sale);
  if (saleRows.length === 0) return null;
  const sum = (sale: boolean, kind: string) =>
    rows.filter((r) => r.sale === sale && r.kind === kind).reduce((a, r) => a + r.total, 0);
  return {
    amountMinor: sum(true, 'acquirer_receivable'),
    feeMinor: -sum(true, 'platform_revenue'),
    netMinor: -sum(true, 'game_payable'),
    currency: saleRows[0]!.currency,
    reversedMinor: -sum(false, 'acquirer_receivable'),
    feeReturnedMinor: sum(false, 'platform_revenue'),
    netReturnedMinor: sum(false, 'game_payable'),
  };
}
