import {
  pgTable,
  text,
  timestamp,
  uuid,
  integer,
  bigint,
  index,
  uniqueIndex,
  check,
  primaryKey,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { games } from './games.js';

export const itemKinds = ['CONSUMABLE', 'DURABLE', 'CURRENCY_PACK'] as const;
export type ItemKind = (typeof itemKinds)[number];

export const items = pgTable(
  'items',
  {
    id: uuid('id').primaryKey(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    kind: text('kind', { enum: itemKinds }).notNull(),
    /** For CURRENCY_PACK: the amount of a game currency it credits. */
    grantsAmountMinor: bigint('grants_amount_minor', { mode: 'number' }),
    grantsCurrency: text('grants_currency'),
    maxPerPlayer: integer('max_per_player'),
    /** Units left to sell; null is unlimited. Taken atomically by purchases. */
    stock: integer('stock'),
    availableFrom: timestamp('available_from', { withTimezone: true }),
    availableUntil: timestamp('available_until', { withTimezone: true }),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('items_game_sku_uq').on(t.gameId, t.sku),
    index('items_game_active_idx').on(t.gameId, t.createdAt, t.id).where(sql`${t.archivedAt} is null`),
    check('items_stock_not_negative', sql`${t.stock} is null or ${t.stock} >= 0`),
    check('items_max_per_player_positive', sql`${t.maxPerPlayer} is null or ${t.maxPerPlayer} > 0`),
    check(
      'items_pack_grants',
      sql`(${t.kind} = 'CURRENCY_PACK') = (${t.grantsAmountMinor} is not null and ${t.grantsCurrency} is not null)`,
    ),
  ],
);

export const itemPrices = pgTable(
  'item_prices',
  {
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    currency: text('currency').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.currency] }), check('item_prices_positive', sql`${t.amountMinor} > 0`)],
);
