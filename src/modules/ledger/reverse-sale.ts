import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { ledgerAccounts, ledgerEntries, ledgerTransactions } from '../../db/schema/index.js';
import { InvalidStateError } from '../../shared/errors.js';
import { allocate } from '../../shared/money.js';
import { ReversalExceedsSaleError } from './errors.js';
import { assertPositiveAmount, findPosting, legsByKind, post } from './post.js';

export interface SaleReversalInput {
  readonly purchaseId: string;
  readonly gameId: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** The sale as the caller knows it; checked against the posted sale. */
  readonly saleAmountMinor: number;
  readonly saleFeeMinor: number;
  readonly at?: Date;
}

export interface SaleReversalResult {
  readonly feeReturnedMinor: number;
  readonly netReturnedMinor: number;
  readonly transactionId: string;
  /** Already posted under this refund or dispute id: the figures are the ones recorded then. */
  readonly duplicate: boolean;
}

type ReversalKind = 'refund' | 'dispute';

/** The real-money legs of the sale and of every refund and dispute so far, in the sale's own signs. */
async function reversalTotals(tx: Executor, purchaseId: string) {
  const rows = await tx
    .select({
      kind: ledgerAccounts.kind,
      total: sql<number>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::bigint`.mapWith(Number),
    })
    .from(ledgerTransactions)
    .innerJoin(ledgerEntries, eq(ledgerEntries.transactionId, ledgerTransactions.id))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .where(and(eq(ledgerTransactions.purchaseId, purchaseId), inArray(ledgerTransactions.kind, ['refund', 'dispute'])))
    .groupBy(ledgerAccounts.kind);
  const byKind = new Map(rows.map((r) => [r.kind, r.total]));
  return {
    amount: -(byKind.get('acquirer_receivable') ?? 0),
    fee: byKind.get('platform_revenue') ?? 0,
    net: byKind.get('game_payable') ?? 0,
  };
}

/**
 * Reverses part of a sale (a refund or a dispute): credit acquirer_receivable r, debit game_payable
 * and platform_revenue their share of r. The share is computed cumulatively: after this reversal the
 * fee returned in total is the sale fee allocated (largest remainder) over [refunded so far, rest],
 * so partial reversals never return more than the fee and a full one returns exactly fee and net.
 * The sale's ledger row is locked, so reversals of one purchase are computed one after the other.
 */
export async function reverseSale(
  tx: Executor,
  kind: ReversalKind,
  reference: { refundId?: string; disputeId?: string; postingReference?: string },
  input: SaleReversalInput,
): Promise<SaleReversalResult> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  const referenceId = (reference.postingReference ?? (kind === 'refund' ? reference.refundId : reference.disputeId))!;
  const [sale] = await tx
    .select()
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.kind, 'sale'), eq(ledgerTransactions.reference, input.purchaseId)))
    .limit(1)
    .for('update');
  if (!sale) throw new InvalidStateError('No sale is posted for this purchase; nothing can be refunded.');
  if (sale.gameId !== input.gameId)
    throw new Error(`${kind} of purchase ${input.purchaseId} names another game than its sale`);

  const existing = await findPosting(tx, kind, referenceId);
  if (existing) {
    const legs = await legsByKind(tx, existing.id);
    return {
      feeReturnedMinor: legs.get('platform_revenue') ?? 0,
      netReturnedMinor: legs.get('game_payable') ?? 0,
      transactionId: existing.id,
      duplicate: true,
    };
  }

  const [saleCurrency] = await tx
    .select({ currency: ledgerEntries.currency })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.transactionId, sale.id))
    .limit(1);
  const saleLegs = await legsByKind(tx, sale.id);
  const saleAmount = saleLegs.get('acquirer_receivable') ?? 0;
  const saleFee = -(saleLegs.get('platform_revenue') ?? 0);
  if (saleCurrency?.currency !== input.currency)
    throw new Error(`${kind} currency ${input.currency} differs from the sale's ${saleCurrency?.currency}`);
  if (saleAmount !== input.saleAmountMinor || saleFee !== input.saleFeeMinor) {
    throw new Error(
      `${kind} names a sale of ${input.saleAmountMinor} (fee ${input.saleFeeMinor}); the ledger has ${saleAmount} (fee ${saleFee})`,
    );
  }

  const before = await reversalTotals(tx, input.purchaseId);
  const cumulative = before.amount + input.amountMinor;
  if (cumulative > saleAmount) throw new ReversalExceedsSaleError(input.purchaseId, saleAmount - before.amount);
  const feeCumulative =
    cumulative === saleAmount ? saleFee : allocate(saleFee, [cumulative, saleAmount - cumulative])[0]!;
  const feeReturned = feeCumulative - before.fee;
  const netReturned = input.amountMinor - feeReturned;
  if (feeReturned < 0 || netReturned < 0)
    throw new Error(
      `${kind} split of ${input.amountMinor} went negative (fee ${feeReturned}); earlier reversals are inconsistent`,
    );

  const account = (k: 'acquirer_receivable' | 'game_payable' | 'platform_revenue') => ({
    kind: k,
    gameId: input.gameId,
    playerId: null,
    currency: input.currency,
  });
  const posted = await post(
    tx,
    {
      kind,
      reference: referenceId,
      gameId: input.gameId,
      purchaseId: input.purchaseId,
      refundId: reference.refundId ?? null,
      disputeId: reference.disputeId ?? null,
      ...(input.at ? { at: input.at } : {}),
    },
    [
      { account: account('acquirer_receivable'), amountMinor: -input.amountMinor },
      { account: account('game_payable'), amountMinor: netReturned },
      { account: account('platform_revenue'), amountMinor: feeReturned },
    ],
  );
  return {
    feeReturnedMinor: feeReturned,
    netReturnedMinor: netReturned,
    transactionId: posted.transactionId,
    duplicate: posted.duplicate,
  };
}
