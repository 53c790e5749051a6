import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { inventoryEntries, inventoryEvents, type ItemKind } from '../../db/schema/index.js';
import { newId } from '../../shared/ids.js';
import { assertUnits, readEntry, type InventoryEntryView } from './inventory-rows.js';

export interface GrantItemInput {
  readonly gameId: string;
  readonly playerId: string;
  readonly itemId: string;
  readonly kind: ItemKind;
  readonly quantity: number;
  /** The purchase that pays for it (also the default reference); null for a grant without one. */
  readonly purchaseId: string | null;
  /** What makes the grant once-only per player (default: the purchase id). */
  readonly reference?: string;
  readonly at?: Date;
}

export interface GrantItemResult {
  readonly entry: InventoryEntryView;
  /** True when this reference was already granted: nothing changed. */
  readonly duplicate: boolean;
}

/**
 * Puts a purchased item in the player's inventory, in the caller's transaction: consumables add
 * up, a DURABLE is owned once (quantity stays 1). Once per (player, reference): a retried
 * fulfilment grants nothing more. A CURRENCY_PACK is not an inventory item (credit the wallet).
 */
export async function grantItem(tx: Executor, input: GrantItemInput): Promise<GrantItemResult> {
  if (input.kind === 'CURRENCY_PACK') throw new RangeError('a CURRENCY_PACK credits the wallet; it is not granted as an item');
  assertUnits('quantity', input.quantity);
  const reference = input.reference ?? input.purchaseId;
  if (!reference) throw new RangeError('grantItem needs a purchaseId or a reference');
  const units = input.kind === 'DURABLE' ? 1 : input.quantity;
  const at = input.at ?? new Date();
  const [event] = await tx
    .insert(inventoryEvents)
    .values({
      id: newId(),
      gameId: input.gameId,
      playerId: input.playerId,
      itemId: input.itemId,
      kind: 'grant',
      quantity: units,
      reference,
      purchaseId: input.purchaseId,
      createdAt: at,
    })
    .onConflictDoNothing()
    .returning({ id: inventoryEvents.id });
  if (!event) return { entry: await readEntry(tx, input.gameId, input.playerId, input.itemId), duplicate: true };

  const [entry] = await tx
    .insert(inventoryEntries)
    .values({ gameId: input.gameId, playerId: input.playerId, itemId: input.itemId, quantity: units, createdAt: at, updatedAt: at })
    .onConflictDoUpdate({
      target: [inventoryEntries.gameId, inventoryEntries.playerId, inventoryEntries.itemId],
      set: {
        quantity: input.kind === 'DURABLE' ? sql`1` : sql`${inventoryEntries.quantity} + ${units}`,
        updatedAt: at,
      },
    })
    .returning();
  return { entry: entry!, duplicate: false };
}
