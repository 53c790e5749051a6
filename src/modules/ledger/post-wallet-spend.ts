import type { Executor } from '../../db/client.js';
import { accountKeyString } from './accounts.js';
import type { WalletPostingInput, WalletPostingResult } from './post-wallet-credit.js';
import { assertPositiveAmount, post } from './post.js';
import { currencyAccount, getWalletBalance, walletAccount } from './wallet-accounts.js';

export interface WalletSpendInput extends WalletPostingInput {
  /** The purchase paid from the wallet; also the default reference. */
  readonly purchaseId: string;
  readonly reason?: string;
  readonly reference?: string;
}

/**
 * Spends from a player's wallet: credit player_wallet, debit currency_spent. The wallet row is
 * updated with `balance >= amount` in the same statement, so concurrent spends never take it
 * below zero; too little → InsufficientFundsError carrying the balance (nothing posted). Once per reference.
 */
export async function postWalletSpend(tx: Executor, input: WalletSpendInput): Promise<WalletPostingResult> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  const wallet = walletAccount(input.gameId, input.playerId, input.currency);
  const posted = await post(
    tx,
    {
      kind: 'wallet_spend',
      reference: input.reference ?? input.purchaseId,
      gameId: input.gameId,
      purchaseId: input.purchaseId,
      playerId: input.playerId,
      reason: input.reason ?? 'purchase',
      ...(input.at ? { at: input.at } : {}),
    },
    [
      { account: wallet, amountMinor: -input.amountMinor },
      { account: currencyAccount('currency_spent', input.gameId, input.currency), amountMinor: input.amountMinor },
    ],
  );
  const balanceMinor =
    posted.balances.get(accountKeyString(wallet)) ??
    (await getWalletBalance(tx, input.gameId, input.playerId, input.currency));
  return { balanceMinor, transactionId: posted.transactionId, duplicate: posted.duplicate };
}
