import { and, asc, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { inventoryEntries, inventoryEvents } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import { readEntry, type InventoryEntryView } from './inventory-rows.js';
import { resolvePlayerScope } from './player-scope.js';

/**
 * What a player holds in a game (quantity > 0), in the order first acquired. The player's game
 * token or session reads their own; the game's secret key, its developer and operators name the player.
 */
export async function getInventory(
  ctx: ServiceContext,
  gameId: string,
  playerId?: string | null,
): Promise<InventoryEntryView[]> {
  const scope = await resolvePlayerScope(ctx, gameId, playerId);
  return ctx.deps.db
    .select({
      gameId: inventoryEntries.gameId,
      playerId: inventoryEntries.playerId,
      itemId: inventoryEntries.itemId,
      quantity: inventoryEntries.quantity,
      updatedAt: inventoryEntries.updatedAt,
    })
    .from(inventoryEntries)
    .where(
      and(
        eq(inventoryEntries.gameId, scope.game.id),
        eq(inventoryEntries.playerId, scope.playerId),
        gt(inventoryEntries.quantity, 0),
      ),
    )
    .orderBy(asc(inventoryEntries.createdAt), asc(inventoryEntries.itemId));
}

/** Units of an item a player holds now (0 when none): for "already owns this DURABLE" checks. */
export async function ownedQuantity(
  executor: Executor,
  gameId: string,
  playerId: string,
  itemId: string,
): Promise<number> {
  if (!isUuid(gameId) || !isUuid(playerId) || !isUuid(itemId)) return 0;
  return (await readEntry(executor, gameId, playerId, itemId)).quantity;
}

/**
 * Units of an item a player ever received through purchases (gifts included), whatever was
 * consumed or revoked since: refunds do not reset it. Currency packs are not counted here (they
 * never enter the inventory); the purchases module's own count covers them.
 */
export async function purchasedQuantity(
  executor: Executor,
  gameId: string,
  playerId: string,
  itemId: string,
): Promise<number> {
  if (!isUuid(gameId) || !isUuid(playerId) || !isUuid(itemId)) return 0;
  const [row] = await executor
    .select({ total: sql<number>`coalesce(sum(${inventoryEvents.quantity}), 0)::bigint`.mapWith(Number) })
    .from(inventoryEvents)
    .where(
      and(
        eq(inventoryEvents.gameId, gameId),
        eq(inventoryEvents.playerId, playerId),
        eq(inventoryEvents.itemId, itemId),
        eq(inventoryEvents.kind, 'grant'),
        isNotNull(inventoryEvents.purchaseId),
      ),
    );
  return row?.total ?? 0;
}
