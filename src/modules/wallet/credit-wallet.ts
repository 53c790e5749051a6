import type { Executor } from '../../db/client.js';
import type { Money } from '../../shared/money.js';
import { listCurrencyCodes } from '../games/index.js';
import { postWalletCredit } from '../ledger/index.js';
import { assertGameCurrencyCode, type WalletMovement } from './wallet-input.js';

export interface CreditWalletInput extends Omit<WalletMovement, 'at'> {
  /** Why: 'currency_pack' for a purchased pack, 'grant' for a game's gift… */
  readonly reason: string;
  /** The purchase that pays for it; also what makes the credit once-only. */
  readonly purchaseId?: string | null;
  /** Another once-only key when there is no purchase. */
  readonly reference?: string;
}

export interface WalletChange {
  /** The wallet's balance after the change. */
  readonly balance: Money;
  /** True when this purchase or reference was already applied: nothing changed. */
  readonly duplicate: boolean;
}

/**
 * Credits game currency to a player's wallet in the caller's transaction (a CURRENCY_PACK's
 * fulfilment). Once per purchase. The currency must be one the game defined.
 */
export async function creditWallet(tx: Executor, input: CreditWalletInput): Promise<WalletChange> {
  assertGameCurrencyCode(input.currency);
  if (!(await listCurrencyCodes(tx, input.gameId)).includes(input.currency)) {
    throw new RangeError(`game ${input.gameId} has no currency ${input.currency}`);
  }
  const posted = await postWalletCredit(tx, {
    gameId: input.gameId,
    playerId: input.playerId,
    currency: input.currency,
    amountMinor: input.amountMinor,
    reason: input.reason,
    purchaseId: input.purchaseId ?? null,
    ...(input.reference !== undefined ? { reference: input.reference } : {}),
  });
  return { balance: { amountMinor: posted.balanceMinor, currency: input.currency }, duplicate: posted.duplicate };
}
