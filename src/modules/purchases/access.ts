import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import type { Money } from '../../shared/money.js';
import type { Principal } from '../../shared/principal.js';
import { seesGameFees } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import type { PurchaseRow } from './purchase-row.js';

/**
 * Who may read a purchase: its buyer or recipient (player session, or game token of that game), the
 * game's secret key, the game's developer (checked by the caller with the game row), and operators.
 */
export function canReadPurchase(principal: Principal, purchase: PurchaseRow, gameDeveloperId: string | null): boolean {
  const party = (playerId: string) => purchase.playerId === playerId || purchase.recipientId === playerId;
  switch (principal.kind) {
    case 'operator':
      return true;
    case 'player':
      return party(principal.playerId);
    case 'player_game':
      return principal.gameId === purchase.gameId && party(principal.playerId);
    case 'game_secret':
      return principal.gameId === purchase.gameId;
    case 'developer':
      return gameDeveloperId === principal.developerId;
    default:
      return false;
  }
}

/** The platform's fee on a purchase, for those who see the game's fees (else null, and null before the sale). */
export async function visibleFee(ctx: ServiceContext, purchase: PurchaseRow): Promise<Money | null> {
  if (purchase.feeMinor === null || !(await seesGameFees(ctx, purchase.gameId))) return null;
  return { amountMinor: purchase.feeMinor, currency: purchase.currency };
}

/** The game client acting for a player: the only caller that creates purchases. */
export function requirePlayerGame(ctx: ServiceContext): Extract<Principal, { kind: 'player_game' }> {
  const { principal } = ctx;
  if (principal.kind === 'player_game') return principal;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError("Purchases are created with the player's game token.");
}

/** The buyer in the pay sheet (player session) or in the game (game token of that game). */
export function requireBuyer(ctx: ServiceContext, purchase: PurchaseRow, allowGameToken: boolean): void {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  const isBuyer =
    (principal.kind === 'player' && principal.playerId === purchase.playerId) ||
    (allowGameToken &&
      principal.kind === 'player_game' &&
      principal.playerId === purchase.playerId &&
      principal.gameId === purchase.gameId);
  if (!isBuyer) throw new NotFoundError('Purchase');
}
