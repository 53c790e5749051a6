import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
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
  if (input.kind === 'CURRENCY_PACK')
    throw new RangeError('a CURRENCY_PACK credits the wallet; it is not granted as an item');
  assertUnits('quantity', input.quantity);
  const reference = input.reference ?? input.purchaseId;
  if (!reference) throw new RangeError('grantItem needs a purchaseId or a reference');
  const units = input.kind === 'DURABLE' ? 1 : input.quantity;
  const at = input.at ?? new Date();
  const [entry] = await grantStatement.execute<{ quantity: number; updated_at: string }>(tx, {
    eventId: newId(),
    gameId: input.gameId,
    playerId: input.playerId,
    itemId: input.itemId,
    units,
    durable: input.kind === 'DURABLE',
    reference,
    purchaseId: input.purchaseId,
    at: at.toISOString(),
  });
  if (!entry) return { entry: await readEntry(tx, input.gameId, input.playerId, input.itemId), duplicate: true };
  const view = {
    gameId: input.gameId,
    playerId: input.playerId,
    itemId: input.itemId,
    quantity: entry.quantity,
    updatedAt: new Date(entry.updated_at),
  };
  return { entry: view, duplicate: false };
}

// Every sale of an item runs it: one prepared statement writes the grant's event (once per player
// and reference) and, only when that was new, adds the units to the entry (a DURABLE stays at 1).
const grantStatement = preparedSql(
  'inventory_grant',
  sql`
    with event as (
      insert into ${inventoryEvents} (id, game_id, player_id, item_id, kind, quantity, reference, purchase_id, created_at)
      values (${sql.placeholder('eventId')}::uuid, ${sql.placeholder('gameId')}::uuid, ${sql.placeholder('playerId')}::uuid,
              ${sql.placeholder('itemId')}::uuid, 'grant', ${sql.placeholder('units')}::int, ${sql.placeholder('reference')}::text,
              ${sql.placeholder('purchaseId')}::uuid, ${sql.placeholder('at')}::timestamptz)
      on conflict do nothing
      returning 1
    )
    insert into ${inventoryEntries} (game_id, player_id, item_id, quantity, created_at, updated_at)
    select ${sql.placeholder('gameId')}::uuid, ${sql.placeholder('playerId')}::uuid, ${sql.placeholder('itemId')}::uuid,
           ${sql.placeholder('units')}::int, ${sql.placeholder('at')}::timestamptz, ${sql.placeholder('at')}::timestamptz
    from event
    on conflict (game_id, player_id, item_id) do update
      set quantity = case when ${sql.placeholder('durable')}::boolean then 1 else ${inventoryEntries}.quantity + excluded.quantity end,
          updated_at = excluded.updated_at
    returning quantity, updated_at`,
);
