import { and, eq, gte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql, preparedStatement, type Param } from '../../db/prepared.js';
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
  for (const playerId of [...new Set(playerIds)].sort()) {
    await lockPlayer.execute(tx, { key: `purchase:${gameId}:${playerId}` });
  }
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
  if (item.kind === 'DURABLE' && quantity !== 1) throw new LimitReachedError('A durable item is bought one at a time.');
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
    if (owned > 0 || inFlight > 0) throw new LimitReachedError('The player already owns this item.');
  }
  if (item.maxPerPlayer !== null && units + quantity > item.maxPerPlayer) {
    throw new LimitReachedError(
      `At most ${item.maxPerPlayer} per player; ${Math.max(0, item.maxPerPlayer - units)} left.`,
    );
  }
}

/** Not settled yet: charged or about to be, or waiting for the player; the item is on its way. */
const IN_FLIGHT_STATUSES = ['PROCESSING', ...AWAITING_STATUSES];

/** The sum's query, with values or with placeholders (to prepare it). */
function oneTapSpentQuery(
  executor: Executor,
  gameId: Param<string>,
  playerId: Param<string>,
  currency: Param<string>,
  dayStart: Param<Date>,
) {
  return executor
    .select({ spent: sql<number>`coalesce(sum(${purchases.amountMinor}), 0)::bigint` })
    .from(purchases)
    .where(
      and(
        eq(purchases.gameId, gameId),
        eq(purchases.playerId, playerId),
        eq(purchases.path, 'one_tap'),
        eq(purchases.currency, currency),
        gte(purchases.createdAt, dayStart),
        sql`${purchases.status} in ${COUNTED_STATUSES}`,
      ),
    );
}

// Read before every card purchase to decide on one tap, then again inside phase 1 under the lock: prepared.
const oneTapSpent = preparedStatement((db) =>
  oneTapSpentQuery(
    db,
    sql.placeholder('gameId'),
    sql.placeholder('playerId'),
    sql.placeholder('currency'),
    sql.placeholder('dayStart'),
  ).prepare('purchases_one_tap_spent_today'),
);

/** What the player spent with one tap in this game since the start of the UTC day (toward the daily cap). */
export async function oneTapSpentToday(
  executor: Executor,
  gameId: string,
  playerId: string,
  currency: string,
  now: Date,
): Promise<number> {
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [row] = await oneTapSpent(executor).execute({ gameId, playerId, currency, dayStart: dayStart.toISOString() });
  return Number(row?.spent ?? 0);
}

/**
 * A player may have at most `max` purchases waiting for confirmation in one game: purchases that
 * hold stock and are never confirmed cannot pile up. Run under lockPlayers, so that concurrent
 * requests cannot both take the last place.
 */
export async function assertUnconfirmedBelowCap(
  tx: Executor,
  input: { gameId: string; playerId: string; max: number },
): Promise<void> {
  const [row] = await tx
    .select({ waiting: sql<number>`count(*)::int` })
    .from(purchases)
    .where(
      and(
        eq(purchases.gameId, input.gameId),
        eq(purchases.playerId, input.playerId),
        sql`${purchases.status} in ${AWAITING_STATUSES}`,
      ),
    );
  if ((row?.waiting ?? 0) >= input.max) {
    throw new LimitReachedError(
      `You have ${input.max} purchases waiting for confirmation in this game. Confirm or cancel one of them first.`,
    );
  }
}
