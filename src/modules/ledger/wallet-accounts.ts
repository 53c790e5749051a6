import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { ledgerAccounts } from '../../db/schema/index.js';
import type { Money } from '../../shared/money.js';
import type { AccountKey } from './accounts.js';

/** The ledger account that holds a player's units of a game currency. */
export function walletAccount(gameId: string, playerId: string, currency: string): AccountKey {
  return { kind: 'player_wallet', gameId, playerId, currency };
}

/** The game-level counterpart of wallet postings in `currency`. */
export function currencyAccount(
  kind: 'currency_issued' | 'currency_spent',
  gameId: string,
  currency: string,
): AccountKey {
  return { kind, gameId, playerId: null, currency };
}

/** A player's wallet balances in a game, one per currency the player ever held, by currency code. */
export async function getWalletBalances(executor: Executor, gameId: string, playerId: string): Promise<Money[]> {
  const rows = await executor
    .select({ currency: ledgerAccounts.currency, amountMinor: ledgerAccounts.balanceMinor })
    .from(ledgerAccounts)
    .where(
      and(
        eq(ledgerAccounts.gameId, gameId),
        eq(ledgerAccounts.playerId, playerId),
        eq(ledgerAccounts.kind, 'player_wallet'),
      ),
    )
    .orderBy(asc(ledgerAccounts.currency));
  return rows;
}

/** One wallet balance; 0 when the player never held that currency. */
export async function getWalletBalance(
  executor: Executor,
  gameId: string,
  playerId: string,
  currency: string,
): Promise<number> {
  const [row] = await executor
    .select({ balanceMinor: ledgerAccounts.balanceMinor })
    .from(ledgerAccounts)
    .where(
      and(
        eq(ledgerAccounts.gameId, gameId),
        eq(ledgerAccounts.playerId, playerId),
        eq(ledgerAccounts.kind, 'player_wallet'),
        eq(ledgerAccounts.currency, currency),
      ),
    )
    .limit(1);
  return row?.balanceMinor ?? 0;
}
