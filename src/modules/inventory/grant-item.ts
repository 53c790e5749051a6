import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
import type { ItemKind } from '../../db/schema/index.js';
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

/** The units a grant of `quantity` puts in the inventory: a DURABLE is owned once. */
export function grantUnits(kind: ItemKind, quantity: number): number {
  return kind === 'DURABLE' ? 1 : quantity;
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
  const units = grantUnits(input.kind, input.quantity);
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

// One statement: the SQL function inventory_grant (drizzle/0016), which settle_purchase calls as well.
const grantStatement = preparedSql(
  'inventory_grant',
  sql`select quantity, updated_at from inventory_grant(${sql.placeholder('eventId')}::uuid, ${sql.placeholder('gameId')}::uuid,
    ${sql.placeholder('playerId')}::uuid, ${sql.placeholder('itemId')}::uuid, ${sql.placeholder('units')}::int,
    ${sql.placeholder('durable')}::boolean, ${sql.placeholder('reference')}::text, ${sql.placeholder('purchaseId')}::uuid,
    ${sql.placeholder('at')}::timestamptz)`,
);
