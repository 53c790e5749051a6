import { pgTable, text, timestamp, uuid, integer, index, uniqueIndex, check, primaryKey } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { players } from './accounts.js';
import { games } from './games.js';
import { items } from './catalog.js';

/** What a player holds of an item in a game; a DURABLE is 0 or 1. Rows stay at 0 once emptied. */
export const inventoryEntries = pgTable(
  'inventory_entries',
  {
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    quantity: integer('quantity').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.gameId, t.playerId, t.itemId] }),
    index('inventory_entries_player_idx').on(t.playerId),
    check('inventory_entries_quantity_not_negative', sql`${t.quantity} >= 0`),
  ],
);

export const inventoryEventKinds = ['grant', 'consume', 'revoke'] as const;
export type InventoryEventKind = (typeof inventoryEventKinds)[number];

/**
 * Every change of an inventory: what moved, why, and a reference (the purchase of a grant, the
 * refund of a revoke, the idempotency key of a consumption) that is unique per player and kind,
 * so a retried grant, revoke or consumption is applied once.
 */
export const inventoryEvents = pgTable(
  'inventory_events',
  {
    id: uuid('id').primaryKey(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    kind: text('kind', { enum: inventoryEventKinds }).notNull(),
    /** Units asked for (grant, consume) or actually taken (revoke, may be 0). */
    quantity: integer('quantity').notNull(),
    reference: text('reference').notNull(),
    purchaseId: uuid('purchase_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('inventory_events_reference_uq').on(t.gameId, t.playerId, t.kind, t.reference),
    index('inventory_events_item_idx').on(t.gameId, t.playerId, t.itemId),
    index('inventory_events_purchase_idx').on(t.purchaseId),
    check('inventory_events_quantity_not_negative', sql`${t.quantity} >= 0`),
  ],
);
