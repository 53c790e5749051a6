import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { inventoryEntries } from '../../db/schema/index.js';

export type InventoryEntryRow = typeof inventoryEntries.$inferSelect;

/** What a player holds of an item; quantity 0 when nothing. */
export interface InventoryEntryView {
  readonly gameId: string;
  readonly playerId: string;
  readonly itemId: string;
  readonly quantity: number;
  readonly updatedAt: Date | null;
}

export function entryKey(gameId: string, playerId: string, itemId: string) {
  return and(
    eq(inventoryEntries.gameId, gameId),
    eq(inventoryEntries.playerId, playerId),
    eq(inventoryEntries.itemId, itemId),
  );
}

/** The entry of (game, player, item), optionally locked; an absent row reads as quantity 0. */
export async function readEntry(
  executor: Executor,
  gameId: string,
  playerId: string,
  itemId: string,
  lock = false,
): Promise<InventoryEntryView> {
  const query = executor
    .select()
    .from(inventoryEntries)
    .where(entryKey(gameId, playerId, itemId))
    .limit(1);
  const [row] = lock ? await query.for('update') : await query;
  return row ?? { gameId, playerId, itemId, quantity: 0, updatedAt: null };
}

export function assertUnits(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > 2_147_483_647)
    throw new RangeError(`${name} must be a positive 32-bit integer, got ${value}`);
}
