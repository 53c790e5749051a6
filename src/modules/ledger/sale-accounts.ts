import type { Executor } from '../../db/client.js';

/**
 * The ids of a game's sale accounts in a currency — [acquirer_receivable, game_payable,
 * platform_revenue] — kept in the process: an account never changes or goes once opened, so a sale
 * need not look them up (settle_purchase takes them). Kept per database, and only ids that a
 * committed statement answered (an account opened by a transaction that rolled back never existed).
 */
const MAX_KEPT = 10_000;
const keptByDatabase = new WeakMap<object, Map<string, readonly string[]>>();

const keyOf = (gameId: string, currency: string) => `${gameId}|${currency}`;

/** The sale accounts of (game, currency) when this process knows them; null otherwise. */
export function knownSaleAccounts(db: Executor, gameId: string, currency: string): readonly string[] | null {
  return keptByDatabase.get(db)?.get(keyOf(gameId, currency)) ?? null;
}

/** Keeps the sale accounts a committed statement answered (settle_purchase returns them). */
export function keepSaleAccounts(db: Executor, gameId: string, currency: string, ids: readonly string[]): void {
  if (ids.length !== 3) return;
  let kept = keptByDatabase.get(db);
  if (!kept) {
    kept = new Map();
    keptByDatabase.set(db, kept);
  }
  const key = keyOf(gameId, currency);
  if (!kept.has(key) && kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value as string);
  kept.set(key, ids);
}

/** Forgets them (a settlement that failed with them looks them up again next time). */
export function forgetSaleAccounts(db: Executor, gameId: string, currency: string): void {
  keptByDatabase.get(db)?.delete(keyOf(gameId, currency));
}
