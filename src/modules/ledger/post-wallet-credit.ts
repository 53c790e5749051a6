import type { Executor } from '../../db/client.js';
import { newId } from '../../shared/ids.js';
import { accountKeyString } from './accounts.js';
import { assertPositiveAmount, post } from './post.js';
import { currencyAccount, getWalletBalance, walletAccount } from './wallet-accounts.js';

export interface WalletPostingInput {
  readonly gameId: string;
  readonly playerId: string;
  /** A game currency code (GEM). */
  readonly currency: string;
  readonly amountMinor: number;
  readonly at?: Date;
}

export interface WalletCreditInput extends WalletPostingInput {
  /** Why, for the books: 'currency_pack', 'grant', … */
  readonly reason: string;
  /** The currency pack purchase that pays for it; also the default reference. */
  readonly purchaseId?: string | null;
  /** What makes the credit unique (default: the purchase id; without either, every call credits). */
  readonly reference?: string;
}

export interface WalletPostingResult {
  /** The wallet's balance after the posting. */
  readonly balanceMinor: number;
  readonly transactionId: string;
  readonly duplicate: boolean;
}

/** Credits a player's wallet with newly issued game currency: debit player_wallet, credit currency_issued. Once per reference. */
export async function postWalletCredit(tx: Executor, input: WalletCreditInput): Promise<WalletPostingResult> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  const wallet = walletAccount(input.gameId, input.playerId, input.currency);
  const posted = await post(
    tx,
    {
      kind: 'wallet_credit',
      reference: input.reference ?? input.purchaseId ?? newId(),
      gameId: input.gameId,
      purchaseId: input.purchaseId ?? null,
      playerId: input.playerId,
      reason: input.reason,
      ...(input.at ? { at: input.at } : {}),
    },
    [
      { account: wallet, amountMinor: input.amountMinor },
      { account: currencyAccount('currency_issued', input.gameId, input.currency), amountMinor: -input.amountMinor },
    ],
  );
  const balanceMinor =
    posted.balances.get(accountKeyString(wallet)) ??
    (await getWalletBalance(tx, input.gameId, input.playerId, input.currency));
  return { balanceMinor, transactionId: posted.transactionId, duplicate: posted.duplicate };
}
