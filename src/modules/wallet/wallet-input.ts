import { isIsoCurrency } from '../../shared/currencies.js';
import { VIRTUAL_CURRENCY_CODE } from '../../shared/money.js';

/** The fields every wallet movement names. */
export interface WalletMovement {
  readonly gameId: string;
  readonly playerId: string;
  /** One of the game's own currency codes (GEM). */
  readonly currency: string;
  readonly amountMinor: number;
  readonly at?: Date;
}

/** Wallets hold game currencies only; an ISO code here is a caller's bug, not a user error. */
export function assertGameCurrencyCode(currency: string): void {
  if (!VIRTUAL_CURRENCY_CODE.test(currency) || isIsoCurrency(currency))
    throw new RangeError(`${currency} is not a game currency code`);
}
