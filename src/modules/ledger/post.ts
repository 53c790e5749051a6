import { and, asc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Executor, Transaction } from '../../db/client.js';
import { isTransaction, queryRowsPrepared } from '../../db/prepared.js';
import {
  ledgerAccounts,
  ledgerTransactions,
  ledgerEntries,
  type LedgerTransactionKind,
} from '../../db/schema/index.js';
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
  /** Wallet balances after the posting, by account key string (empty for a duplicate). */
  readonly balances: ReadonlyMap<string, number>;
}

/** Positive safe integer, or a RangeError: amounts reaching the ledger are already validated by their module. */
export function assertPositiveAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive safe integer, got ${value}`);
}

/** The transaction already posted under (kind, reference), if any. */
export async function findPosting(
  executor: Executor,
  kind: LedgerTransactionKind,
  reference: string,
): Promise<LedgerTransactionRow | null> {
  const [row] = await executor
    .select()
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.kind, kind), eq(ledgerTransactions.reference, reference)))
    .limit(1);
  return row ?? null;
}

/**
 * Writes one balanced ledger transaction: the header (once per kind and reference), its entries,
 * and the accounts' balances. A posting that can be refused (it takes from a wallet) runs in a
 * savepoint, so that InsufficientFunds leaves the caller's transaction usable and without half a
 * posting; others (a sale) write straight into it.
 * A player_wallet leg that would take the wallet below zero throws InsufficientFundsError.
 */
export async function post(executor: Executor, header: PostingHeader, legs: readonly Leg[]): Promise<Posted> {
  const live = legs.filter((l) => l.amountMinor !== 0);
  const totals = new Map<string, number>();
  for (const leg of live) {
    if (!Number.isSafeInteger(leg.amountMinor))
      throw new RangeError(`ledger amount ${leg.amountMinor} is not a safe integer`);
    if (leg.account.gameId !== header.gameId) throw new Error('a ledger transaction stays within one game');
    totals.set(leg.account.currency, (totals.get(leg.account.currency) ?? 0) + leg.amountMinor);
  }
  for (const [currency, total] of totals)
    if (total !== 0) throw new Error(`ledger posting ${header.kind} does not balance in ${currency}: ${total}`);
  if (live.length === 0) throw new Error(`ledger posting ${header.kind} has no non-zero leg`);

  const canBeRefused = live.some((l) => l.account.kind === 'player_wallet' && l.amountMinor < 0);
  if (isTransaction(executor) && !canBeRefused) return writePosting(executor, header, live);
  return executor.transaction((tx) => writePosting(tx, header, live));
}

/** How many rows a shared account's balance is spread over (see ledgerBalanceBuckets, whose CHECK holds the same bound, and writePosting). */
export const BALANCE_BUCKETS = 32;

interface AccountDelta {
  readonly accountId: string;
  readonly key: AccountKey;
  readonly amount: number;
}

const byAccountId = (a: AccountDelta, b: AccountDelta) =>
  a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0;

/**
 * One statement writes the header, the entries and the shared accounts' buckets, and writes nothing
 * when (kind, reference) was already posted; each wallet's row is updated after it, guarded so that
 * it never goes below zero. Lock order, so that concurrent postings wait instead of deadlocking:
 * wallet rows first (by account id, as a clawback locks its wallet before posting), then buckets.
 * The bucket is the database transaction's own (its xid modulo BALANCE_BUCKETS): every posting of
 * one transaction adds to the same bucket row of an account, so two transactions never take two
 * bucket rows of an account in opposite orders, and consecutive transactions spread over all buckets.
 */
async function writePosting(tx: Transaction, header: PostingHeader, live: readonly Leg[]): Promise<Posted> {
  const ids = await ensureAccounts(
    tx,
    live.map((l) => l.account),
  );
  const accountId = (leg: Leg) => ids.get(accountKeyString(leg.account))!;
  const deltas = new Map<string, AccountDelta>();
  for (const leg of live) {
    const id = accountId(leg);
    deltas.set(id, { accountId: id, key: leg.account, amount: (deltas.get(id)?.amount ?? 0) + leg.amountMinor });
  }
  const shared = [...deltas.values()].filter((d) => d.key.kind !== 'player_wallet' && d.amount !== 0).sort(byAccountId);
  const wallets = [...deltas.values()]
    .filter((d) => d.key.kind === 'player_wallet' && d.amount !== 0)
    .sort(byAccountId);

  if (wallets.length > 0) {
    await tx
      .select({ id: ledgerAccounts.id })
      .from(ledgerAccounts)
      .where(
        inArray(
          ledgerAccounts.id,
          wallets.map((w) => w.accountId),
        ),
      )
      .orderBy(asc(ledgerAccounts.id))
      .for('no key update');
  }

  const entryRows = live.map(
    (leg) => sql`(${newId()}::uuid, ${accountId(leg)}::uuid, ${leg.account.currency}, ${leg.amountMinor}::bigint)`,
  );
  const bucketRows = shared.map((d) => sql`(${d.accountId}::uuid, ${d.amount}::bigint)`);
  const [inserted] = await queryRowsPrepared<{ id: string }>(
    tx,
    'ledger_post',
    sql`
    with posting as (
      insert into ledger_transactions (id, kind, reference, game_id, purchase_id, refund_id, dispute_id, player_id, reason, created_at)
      values (${newId()}::uuid, ${header.kind}, ${header.reference}, ${header.gameId}::uuid, ${header.purchaseId ?? null}::uuid,
              ${header.refundId ?? null}::uuid, ${header.disputeId ?? null}::uuid, ${header.playerId ?? null}::uuid, ${header.reason ?? null},
              coalesce(${header.at?.toISOString() ?? null}::timestamptz, now()))
      on conflict (kind, reference) do nothing
      returning id, created_at
    ), entries as (
      insert into ledger_entries (id, transaction_id, account_id, currency, amount_minor, game_id, created_at)
      select v.id, posting.id, v.account_id, v.currency, v.amount_minor, ${header.gameId}::uuid, posting.created_at
      from posting cross join (values ${sql.join(entryRows, sql`, `)}) as v (id, account_id, currency, amount_minor)
    )${
      bucketRows.length === 0
        ? sql``
        : sql`, buckets as (
      insert into ledger_balance_buckets (account_id, bucket, balance_minor)
      select v.account_id, (txid_current() % ${BALANCE_BUCKETS})::smallint, v.amount_minor
      from (values ${sql.join(bucketRows, sql`, `)}) as v (account_id, amount_minor)
      where exists (select 1 from posting)
      order by v.account_id
      on conflict (account_id, bucket) do update set balance_minor = ledger_balance_buckets.balance_minor + excluded.balance_minor
    )`
    }
    select id from posting`,
  );
  if (!inserted) {
    const existing = await findPosting(tx, header.kind, header.reference);
    return { transactionId: existing!.id, duplicate: true, balances: new Map() };
  }

  const balances = new Map<string, number>();
  for (const { accountId: id, key, amount } of wallets) {
    const guarded = amount < 0;
    const [updated] = await tx
      .update(ledgerAccounts)
      .set({ balanceMinor: sql`${ledgerAccounts.balanceMinor} + ${amount}` })
      .where(and(eq(ledgerAccounts.id, id), guarded ? gte(ledgerAccounts.balanceMinor, -amount) : undefined))
      .returning({ balanceMinor: ledgerAccounts.balanceMinor });
    if (!updated) {
      const [row] = await tx
        .select({ balanceMinor: ledgerAccounts.balanceMinor })
        .from(ledgerAccounts)
        .where(eq(ledgerAccounts.id, id));
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
