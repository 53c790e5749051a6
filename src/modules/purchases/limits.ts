import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
import { purchases } from '../../db/schema/index.js';
import { LimitReachedError } from '../../shared/errors.js';
import type { CatalogItem } from '../catalog/index.js';
import { ownedQuantity } from '../inventory/index.js';
import { AWAITING_STATUSES, COUNTED_STATUSES } from './purchase-state.js';

/**
 * Serializes purchases of one player in one game (transaction-scoped advisory locks, taken in a
 * fixed order), so that limit, ownership and daily-cap checks cannot race each other.
 */
export async function lockPlayers(tx: Executor, gameId: string, playerIds: readonly string[]): Promise<void> {
  for (const key of playerLockKeys(gameId, playerIds)) await lockPlayer.execute(tx, { key });
}

/** The advisory lock keys of lockPlayers, in the order they are taken (phase 1's SQL function takes the same). */
export function playerLockKeys(gameId: string, playerIds: readonly string[]): string[] {
  return [...new Set(playerIds)].sort().map((playerId) => `purchase:${gameId}:${playerId}`);
}

const lockPlayer = preparedSql(
  'purchases_lock_player',
  sql`select pg_advisory_xact_lock(hashtextextended(${sql.placeholder('key')}, 0))`,
);

/**
 * maxPerPlayer counts units ever bought for the recipient (refunds do not reset it) plus those
 * waiting for confirmation; a DURABLE is bought once and never while owned or on its way (one
 * taken back by a full refund may be bought again).
 */
export async function assertWithinLimits(
  tx: Executor,
  input: { gameId: string; recipientId: string; item: CatalogItem; quantity: number },
): Promise<void> {
  const { gameId, recipientId, item, quantity } = input;
  if (item.kind === 'DURABLE' && quantity !== 1) throw durableOneAtATime();
  const needsCount = item.kind === 'DURABLE' || item.maxPerPlayer !== null;
  if (!needsCount) return;
  const [{ units, inFlight }] = (await tx
    .select({
      units: sql<number>`coalesce(sum(${purchases.quantity}), 0)::int`,
      inFlight: sql<number>`coalesce(sum(${purchases.quantity}) filter (where ${purchases.status} in ${IN_FLIGHT_STATUSES}), 0)::int`,
    })
    .from(purchases)
    .where(
      and(
        eq(purchases.gameId, gameId),
        eq(purchases.recipientId, recipientId),
        eq(purchases.itemId, item.id),
        sql`${purchases.status} in ${[...COUNTED_STATUSES, ...AWAITING_STATUSES]}`,
      ),
    )) as [{ units: number; inFlight: number }];
  if (item.kind === 'DURABLE') {
    const owned = await ownedQuantity(tx, gameId, recipientId, item.id);
    if (owned > 0 || inFlight > 0) throw alreadyOwned();
  }
  if (item.maxPerPlayer !== null && units + quantity > item.maxPerPlayer)
    throw maxPerPlayerReached(item.maxPerPlayer, units);
}

// What each limit answers, whether the check ran here or in phase 1's SQL function.
export const durableOneAtATime = () => new LimitReachedError('A durable item is bought one at a time.');
export const alreadyOwned = () => new LimitReachedError('The player already owns this item.');
export const maxPerPlayerReached = (max: number, units: number) =>
  new LimitReachedError(`At most ${max} per player; ${Math.max(0, max - units)} left.`);
export const unconfirmedCapReached = (max: number) =>
  new LimitReachedError(
    `You have ${max} purchases waiting for confirmation in this game. Confirm or cancel one of them first.`,
  );

/** Not settled yet: charged or about to be, or waiting for the player; the item is on its way. */
const IN_FLIGHT_STATUSES = ['PROCESSING', ...AWAITING_STATUSES];
