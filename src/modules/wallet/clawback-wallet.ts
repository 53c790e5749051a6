import type { Executor } from '../../db/client.js';
import { postWalletClawback } from '../ledger/index.js';
import { assertGameCurrencyCode, type WalletMovement } from './wallet-input.js';

export interface ClawbackWalletInput extends WalletMovement {
  readonly purchaseId?: string | null;
  readonly refundId?: string | null;
  readonly disputeId?: string | null;
  /** What makes the clawback once-only; default: the refund id, else the dispute id. */
  readonly reference?: string;
}

/**
 * Takes back unspent currency of a refunded or disputed currency pack, in the caller's
 * transaction: min(amount, balance), so what the player already spent stays spent. Returns the
 * units taken (0 when the wallet is empty). Once per refund or dispute.
 */
export async function clawbackWallet(tx: Executor, input: ClawbackWalletInput): Promise<number> {
  assertGameCurrencyCode(input.currency);
  const reference = input.reference ?? input.refundId ?? input.disputeId;
  if (!reference) throw new RangeError('clawbackWallet needs a refundId, a disputeId or a reference');
  const result = await postWalletClawback(tx, {
    gameId: input.gameId,
    playerId: input.playerId,
    currency: input.currency,
    amountMinor: input.amountMinor,
    reference,
    purchaseId: input.purchaseId ?? null,
    refundId: input.refundId ?? null,
    disputeId: input.disputeId ?? null,
    ...(input.at ? { at: input.at } : {}),
  });
  return result.takenMinor;
}
