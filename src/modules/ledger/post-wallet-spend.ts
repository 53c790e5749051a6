import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
import { InsufficientFundsError } from '../../shared/errors.js';
import type { WalletBalanceChange, WalletPostingInput } from './post-wallet-credit.js';
import { assertPositiveAmount } from './post.js';

/** A spend is posted at the database's now(), as wallet_purchase posts one: no `at`. */
export interface WalletSpendInput extends Omit<WalletPostingInput, 'at'> {
  /** The purchase paid from the wallet; also the default reference. */
  readonly purchaseId: string;
  readonly reason?: string;
  readonly reference?: string;
}

// The spend is the SQL function ledger_post_wallet_spend (drizzle/0019), the very one a wallet
// purchase runs inside wallet_purchase: one implementation of the rule, whichever path spends.
const spendStatement = preparedSql(
  'ledger_wallet_spend',
  sql`select s.outcome, s.balance_minor from ledger_post_wallet_spend(${sql.placeholder('gameId')}::uuid,
    ${sql.placeholder('playerId')}::uuid, ${sql.placeholder('currency')}::text, ${sql.placeholder('amountMinor')}::bigint,
    ${sql.placeholder('reference')}::text, ${sql.placeholder('purchaseId')}::uuid, ${sql.placeholder('reason')}::text) as s`,
);

/**
 * Spends from a player's wallet: credit player_wallet, debit currency_spent. The wallet row is
 * updated with `balance >= amount` in the same statement, so concurrent spends never take it
 * below zero; too little → InsufficientFundsError carrying the balance (nothing posted, so the
 * caller's transaction stays usable). Once per reference: a repeat posts nothing (`duplicate`).
 */
export async function postWalletSpend(tx: Executor, input: WalletSpendInput): Promise<WalletBalanceChange> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  const [row] = await spendStatement.execute<{ outcome: string; balance_minor: string | number }>(tx, {
    gameId: input.gameId,
    playerId: input.playerId,
    currency: input.currency,
    amountMinor: input.amountMinor,
    reference: input.reference ?? input.purchaseId,
    purchaseId: input.purchaseId,
    reason: input.reason ?? 'purchase',
  });
  if (!row) throw new Error('ledger_post_wallet_spend returned no row');
  const balanceMinor = Number(row.balance_minor);
  if (row.outcome === 'insufficient_funds')
    throw new InsufficientFundsError({ amountMinor: balanceMinor, currency: input.currency });
  return { balanceMinor, duplicate: row.outcome === 'duplicate' };
}
