import type { Executor } from '../../db/client.js';
import type { Money } from '../../shared/money.js';
import { listCurrencyCodes } from '../games/index.js';
import { resolvePlayerScope } from '../inventory/index.js';
import { getWalletBalance, getWalletBalances } from '../ledger/index.js';
import type { ServiceContext } from '../service-context.js';

/**
 * A player's balances in each of the game's currencies (0 where none), by currency code. The
 * player's game token or session reads their own; the game's secret key, its developer and
 * operators name the player. The ledger's wallet accounts are the one source of truth.
 */
export async function getWallet(ctx: ServiceContext, gameId: string, playerId?: string | null): Promise<Money[]> {
  const scope = await resolvePlayerScope(ctx, gameId, playerId);
  const [codes, held] = await Promise.all([
    listCurrencyCodes(ctx.deps.db, scope.game.id),
    getWalletBalances(ctx.deps.db, scope.game.id, scope.playerId),
  ]);
  const balances = new Map<string, number>(codes.map((code) => [code, 0]));
  for (const money of held) balances.set(money.currency, money.amountMinor);
  return [...balances]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, amountMinor]) => ({ amountMinor, currency }));
}

/** One balance for the purchases module's checks (0 when the player never held the currency). */
export async function walletBalance(
  executor: Executor,
  gameId: string,
  playerId: string,
  currency: string,
): Promise<Money> {
  return { amountMinor: await getWalletBalance(executor, gameId, playerId, currency), currency };
}
