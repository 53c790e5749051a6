import { and, asc, eq, gte, sql } from 'drizzle-orm';
import type { Executor, Transaction } from '../../db/client.js';
import { isTransaction } from '../../db/prepared.js';
import { ledgerAccounts, ledgerEntries, ledgerTransactions, type LedgerTransactionKind } from '../../db/schema/index.js';
import { InsufficientFundsError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { accountKeyString, ensureAccounts, type AccountKey } from './accounts.js';

export type LedgerTransactionRow = typeof ledgerTransactions.$inferSelect;

/** One leg of a posting: debit positive, credit negative. */
export interface Leg {
  readonly account: AccountKey;
  readonly amountMinor: number;
}

export interface PostingHeader {
  readonly kind: LedgerTransactionKind;
  readonly reference: string;
  readonly gameId: string;
  readonly purchaseId?: string | null;
  readonly refundId?: string | null;
  readonly disputeId?: string | null;
  readonly playerId?: string | null;
  readonly reason?: string | null;
  /** When it happened; the database's now() when absent. */
  readonly at?: Date;
}

export interface Posted {
  readonly transactionId: string;
  /** True when (kind, reference) was already posted: nothing was written this time. */
  readonly duplicate: boolean;
  /** Balances after the posting, by account key string (empty for a duplicate). */
  readonly balances: ReadonlyMap<string, number>;
}

/** Positive safe integer, or a RangeError: amounts reaching the ledger are already validated by their module. */
export function assertPositiveAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive safe integer, got ${value}`);
}

/** The transaction already posted under (kind, reference), if any. */
export async function findPosting(executor: Executor, kind: LedgerTransactionKind, reference: string): Promise<LedgerTransactionRow | null> {
  const [row] = await executor
    .select()
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.kind, kind), eq(ledgerTransactions.reference, reference)))
    .limit(1);
  return row ?? null;
}

/**
 * Writes one balanced ledger transaction: the header (once per kind and reference), its entries,
 * and the accounts' balances in the same statement sequence. A posting that can be refused (it
 * takes from a wallet) runs in a savepoint, so that InsufficientFunds leaves the caller's
 * transaction usable and without half a posting; others (a sale) write straight into it.
 * Balances are updated in account-id order so concurrent postings never deadlock on each other.
 * A player_wallet leg that would take the wallet below zero throws InsufficientFundsError.
 */
export async function post(executor: Executor, header: PostingHeader, legs: readonly Leg[]): Promise<Posted> {
  const live = legs.filter((l) => l.amountMinor !== 0);
  const totals = new Map<string, number>();
  for (const leg of live) {
    if (!Number.isSafeInteger(leg.amountMinor)) throw new RangeError(`ledger amount ${leg.amountMinor} is not a safe integer`);
    if (leg.account.gameId !== header.gameId) throw new Error('a ledger transaction stays within one game');
    totals.set(leg.account.currency, (totals.get(leg.account.currency) ?? 0) + leg.amountMinor);
  }
  for (const [currency, total] of totals) if (total !== 0) throw new Error(`ledger posting ${header.kind} does not balance in ${currency}: ${total}`);
  if (live.length === 0) throw new Error(`ledger posting ${header.kind} has no non-zero leg`);

  const canBeRefused = live.some((l) => l.account.kind === 'player_wallet' && l.amountMinor < 0);
  if (isTransaction(executor) && !canBeRefused) return writePosting(executor, header, live);
  return executor.transaction((tx) => writePosting(tx, header, live));
}

async function writePosting(tx: Transaction, header: PostingHeader, live: readonly Leg[]): Promise<Posted> {
  const [inserted] = await tx
    .insert(ledgerTransactions)
    .values({
      id: newId(),
      kind: header.kind,
      reference: header.reference,
      gameId: header.gameId,
      purchaseId: header.purchaseId ?? null,
      refundId: header.refundId ?? null,
      disputeId: header.disputeId ?? null,
      playerId: header.playerId ?? null,
      reason: header.reason ?? null,
      ...(header.at ? { createdAt: header.at } : {}),
    })
    .onConflictDoNothing({ target: [ledgerTransactions.kind, ledgerTransactions.reference] })
    .returning({ id: ledgerTransactions.id, createdAt: ledgerTransactions.createdAt });
  if (!inserted) {
    const existing = await findPosting(tx, header.kind, header.reference);
    return { transactionId: existing!.id, duplicate: true, balances: new Map() };
  }

  const ids = await ensureAccounts(tx, live.map((l) => l.account));
  const byAccount = new Map<string, { key: AccountKey; amount: number }>();
  for (const leg of live) {
    const id = ids.get(accountKeyString(leg.account))!;
    const current = byAccount.get(id);
    byAccount.set(id, { key: leg.account, amount: (current?.amount ?? 0) + leg.amountMinor });
  }
  await tx.insert(ledgerEntries).values(
    live.map((leg) => ({
      id: newId(),
      transactionId: inserted.id,
      accountId: ids.get(accountKeyString(leg.account))!,
      currency: leg.account.currency,
      amountMinor: leg.amountMinor,
      gameId: header.gameId,
      createdAt: inserted.createdAt,
    })),
  );

  const balances = new Map<string, number>();
  for (const [accountId, { key, amount }] of [...byAccount].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const guarded = key.kind === 'player_wallet' && amount < 0;
    const [updated] = await tx
      .update(ledgerAccounts)
      .set({ balanceMinor: sql`${ledgerAccounts.balanceMinor} + ${amount}` })
      .where(and(eq(ledgerAccounts.id, accountId), guarded ? gte(ledgerAccounts.balanceMinor, -amount) : undefined))
      .returning({ balanceMinor: ledgerAccounts.balanceMinor });
    if (!updated) {
      const [row] = await tx.select({ balanceMinor: ledgerAccounts.balanceMinor }).from(ledgerAccounts).where(eq(ledgerAccounts.id, accountId));
      throw new InsufficientFundsError({ amountMinor: row?.balanceMinor ?? 0, currency: key.currency });
    }
    balances.set(accountKeyString(key), updated.balanceMinor);
  }
  return { transactionId: inserted.id, duplicate: false, balances };
}

/** The signed sum of a transaction's entries per account kind (to read back what a posting did). */
export async function legsByKind(executor: Executor, transactionId: string): Promise<Map<string, number>> {
  const rows = await executor
    .select({ kind: ledgerAccounts.kind, amountMinor: ledgerEntries.amountMinor })
    .from(ledgerEntries)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .where(eq(ledgerEntries.transactionId, transactionId))
    .orderBy(asc(ledgerEntries.id));
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(r.kind, (sums.get(r.kind) ?? 0) + r.amountMinor);
  return sums;
}
