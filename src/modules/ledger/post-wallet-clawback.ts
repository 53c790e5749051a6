import type { Executor } from '../../db/client.js';
import { lockAccount } from './accounts.js';
import type { WalletPostingInput } from './post-wallet-credit.js';
import { assertPositiveAmount, findPosting, legsByKind, post } from './post.js';
import { currencyAccount, walletAccount } from './wallet-accounts.js';

export interface WalletClawbackInput extends WalletPostingInput {
  /** The refund or dispute that claws back; a repeat with it takes nothing more. */
  readonly reference: string;
  readonly purchaseId?: string | null;
  readonly refundId?: string | null;
  readonly disputeId?: string | null;
}

export interface WalletClawbackResult {
  /** What was taken back: min(amount asked, balance). */
  readonly takenMinor: number;
  readonly balanceMinor: number;
  /** Null when nothing was left to take (nothing is posted then). */
  readonly transactionId: string | null;
  readonly duplicate: boolean;
}

/**
 * Takes back unspent granted currency (a refunded or disputed currency pack): at most what the
 * wallet still holds, under the wallet row's lock; debit currency_issued, credit player_wallet.
 * What the player already spent stays spent.
 */
export async function postWalletClawback(tx: Executor, input: WalletClawbackInput): Promise<WalletClawbackResult> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  const key = walletAccount(input.gameId, input.playerId, input.currency);
  const wallet = await lockAccount(tx, key);
  const existing = await findPosting(tx, 'wallet_clawback', input.reference);
  if (existing) {
    const legs = await legsByKind(tx, existing.id);
    return {
      takenMinor: -(legs.get('player_wallet') ?? 0),
      balanceMinor: wallet?.balanceMinor ?? 0,
      transactionId: existing.id,
      duplicate: true,
    };
  }
  const taken = Math.min(input.amountMinor, wallet?.balanceMinor ?? 0);
  if (taken <= 0)
    return { takenMinor: 0, balanceMinor: wallet?.balanceMinor ?? 0, transactionId: null, duplicate: false };
  const posted = await post(
    tx,
    {
      kind: 'wallet_clawback',
      reference: input.reference,
      gameId: input.gameId,
      purchaseId: input.purchaseId ?? null,
      refundId: input.refundId ?? null,
      disputeId: input.disputeId ?? null,
      playerId: input.playerId,
      reason: 'clawback',
      ...(input.at ? { at: input.at } : {}),
    },
    [
      { account: key, amountMinor: -taken },
      { account: currencyAccount('currency_issued', input.gameId, input.currency), amountMinor: taken },
    ],
  );
  return {
    takenMinor: taken,
    balanceMinor: wallet!.balanceMinor - taken,
    transactionId: posted.transactionId,
    duplicate: posted.duplicate,
  };
}
