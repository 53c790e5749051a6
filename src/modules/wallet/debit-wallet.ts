import type { Executor } from '../../db/client.js';
import { postWalletSpend } from '../ledger/index.js';
import type { WalletChange } from './credit-wallet.js';
import { assertGameCurrencyCode, type WalletMovement } from './wallet-input.js';

export interface DebitWalletInput extends Omit<WalletMovement, 'at'> {
  /** The purchase paid from the wallet; a repeat with it debits nothing more. */
  readonly purchaseId: string;
  readonly reason?: string;
}

/**
 * Pays from a player's wallet in the caller's transaction. One conditional update
 * (`balance >= amount`) decides, so concurrent spending never takes the wallet below zero;
 * too little → InsufficientFundsError carrying the balance, and nothing is written.
 */
export async function debitWallet(tx: Executor, input: DebitWalletInput): Promise<WalletChange> {
  assertGameCurrencyCode(input.currency);
  const posted = await postWalletSpend(tx, {
    gameId: input.gameId,
    playerId: input.playerId,
    currency: input.currency,
    amountMinor: input.amountMinor,
    purchaseId: input.purchaseId,
    ...(input.reason ? { reason: input.reason } : {}),
  });
  return { balance: { amountMinor: posted.balanceMinor, currency: input.currency }, duplicate: posted.duplicate };
}
