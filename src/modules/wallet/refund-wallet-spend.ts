import type { Executor } from '../../db/client.js';
import { postWalletSpendReversal } from '../ledger/index.js';
import type { WalletChange } from './credit-wallet.js';
import { assertGameCurrencyCode, type WalletMovement } from './wallet-input.js';

export interface RefundWalletSpendInput extends WalletMovement {
  /** The wallet-paid purchase being refunded. */
  readonly purchaseId: string;
  readonly refundId: string;
}

/**
 * Gives back currency a refunded wallet purchase spent, in the caller's transaction; all
 * give-backs of a purchase together never exceed what it spent (ReversalExceedsSaleError). Once per refund.
 */
export async function refundWalletSpend(tx: Executor, input: RefundWalletSpendInput): Promise<WalletChange> {
  assertGameCurrencyCode(input.currency);
  const posted = await postWalletSpendReversal(tx, input);
  return { balance: { amountMinor: posted.balanceMinor, currency: input.currency }, duplicate: posted.duplicate };
}
