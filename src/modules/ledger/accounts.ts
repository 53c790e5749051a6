import { and, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedStatement } from '../../db/prepared.js';
import { ledgerAccounts, ledgerBalanceBuckets, type LedgerAccountKind } from '../../db/schema/index.js';
import { newId } from '../../shared/ids.js';

export type LedgerAccountRow = typeof ledgerAccounts.$inferSelect;

/**
 * An account's balance as a column to select: its row (a wallet's balance) plus its buckets (a
 * shared account's, see ledgerBalanceBuckets).
 */
export const accountBalance =
  sql<number>`(${ledgerAccounts.balanceMinor} + coalesce((select sum(${ledgerBalanceBuckets.balanceMinor}) from ${ledgerBalanceBuckets} where ${ledgerBalanceBuckets.accountId} = ${ledgerAccounts.id}), 0))::bigint`.mapWith(
    Number,
  );

/** Which side an account normally carries its balance on (assets and sinks: debit; what is owed or earned: credit). */
export const NORMAL_SIDE: Record<LedgerAccountKind, 'debit' | 'credit'> = {
  acquirer_receivable: 'debit',
  game_payable: 'credit',
  platform_revenue: 'credit',
  player_wallet: 'debit',
  currency_issued: 'credit',
  currency_spent: 'debit',
};

/** An account by what it is for: its kind, game, player (wallets only) and currency. */
export interface AccountKey {
  readonly kind: LedgerAccountKind;
  readonly gameId: string;
  readonly playerId: string | null;
  readonly currency: string;
}

export function accountKeyString(key: AccountKey): string {
  return `${key.kind}|${key.gameId}|${key.playerId ?? ''}|${key.currency}`;
}

function keyCondition(key: AccountKey): SQL {
  return and(
    eq(ledgerAccounts.gameId, key.gameId),
    key.playerId === null ? isNull(ledgerAccounts.playerId) : eq(ledgerAccounts.playerId, key.playerId),
    eq(ledgerAccounts.kind, key.kind),
    eq(ledgerAccounts.currency, key.currency),
  ) as SQL;
}

/**
 * The ids of the accounts for `keys`, opening the missing ones (lazily, with a zero balance).
 * New accounts are inserted in a fixed order so that two transactions opening the same accounts
 * wait for each other instead of deadlocking.
 */
export async function ensureAccounts(tx: Executor, keys: readonly AccountKey[]): Promise<Map<string, string>> {
  const unique = [...new Map(keys.map((k) => [accountKeyString(k), k])).values()];
  const find = async (wanted: AccountKey[]) =>
    tx
      .select({
        id: ledgerAccounts.id,
        kind: ledgerAccounts.kind,
        gameId: ledgerAccounts.gameId,
        playerId: ledgerAccounts.playerId,
        currency: ledgerAccounts.currency,
      })
      .from(ledgerAccounts)
      .where(or(...wanted.map(keyCondition)));
  const ids = new Map<string, string>();
  for (const row of (await findShared(tx, unique)) ?? (await find(unique))) ids.set(accountKeyString(row), row.id);
  const missing = unique
    .filter((k) => !ids.has(accountKeyString(k)))
    .sort((a, b) => accountKeyString(a).localeCompare(accountKeyString(b)));
  if (missing.length > 0) {
    await tx
      .insert(ledgerAccounts)
      .values(
        missing.map((k) => ({
          id: newId(),
          kind: k.kind,
          gameId: k.gameId,
          playerId: k.playerId,
          currency: k.currency,
        })),
      )
      .onConflictDoNothing();
    for (const row of await find(missing)) ids.set(accountKeyString(row), row.id);
  }
  return ids;
}

// Every sale and refund looks up a game's shared accounts in one currency: prepared (an index lookup
// on the owner key, whose leading columns are game and player).
const sharedAccounts = preparedStatement((executor) =>
  executor
    .select({
      id: ledgerAccounts.id,
      kind: ledgerAccounts.kind,
      gameId: ledgerAccounts.gameId,
      playerId: ledgerAccounts.playerId,
      currency: ledgerAccounts.currency,
    })
    .from(ledgerAccounts)
    .where(
      and(
        eq(ledgerAccounts.gameId, sql.placeholder('gameId')),
        isNull(ledgerAccounts.playerId),
        sql`${ledgerAccounts.kind} = any(${sql.placeholder('kinds')}::text[])`,
        eq(ledgerAccounts.currency, sql.placeholder('currency')),
      ),
    )
    .prepare('ledger_shared_accounts'),
);

/** The prepared lookup when every key is a shared account of one game in one currency; null otherwise. */
async function findShared(tx: Executor, keys: readonly AccountKey[]) {
  const [first] = keys;
  if (!first || !keys.every((k) => k.playerId === null && k.gameId === first.gameId && k.currency === first.currency))
    return null;
  return sharedAccounts(tx).execute({ gameId: first.gameId, currency: first.currency, kinds: keys.map((k) => k.kind) });
}

/**
 * Locks one account row and returns it, or null when it was never opened. FOR NO KEY UPDATE, like
 * the balance update that follows: it does not block the entries' foreign key checks (KEY SHARE).
 */
export async function lockAccount(tx: Executor, key: AccountKey): Promise<LedgerAccountRow | null> {
  const [row] = await tx.select().from(ledgerAccounts).where(keyCondition(key)).limit(1).for('no key update');
  return row ?? null;
}
