import { pgTable, text, timestamp, uuid, integer, boolean, index, uniqueIndex, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { players } from './accounts.js';

/**
 * Cards on file. Never the number or the CVC: only the acquirer's token, what a player needs to
 * recognise the card, and a keyed fingerprint (HMAC-SHA256) to find the same card again.
 */
export const cards = pgTable(
  'cards',
  {
    id: uuid('id').primaryKey(),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    acquirerToken: text('acquirer_token').notNull(),
    /** card-validator's type name: visa, mastercard, american-express… */
    brand: text('brand').notNull(),
    last4: text('last4').notNull(),
    expMonth: integer('exp_month').notNull(),
    expYear: integer('exp_year').notNull(),
    holderName: text('holder_name').notNull(),
    /** base64url HMAC-SHA256 of the digits under CARD_FINGERPRINT_KEY. */
    fingerprint: text('fingerprint').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('cards_player_fingerprint_uq').on(t.playerId, t.fingerprint).where(sql`${t.removedAt} is null`),
    uniqueIndex('cards_player_default_uq').on(t.playerId).where(sql`${t.isDefault}`),
    index('cards_player_active_idx').on(t.playerId, t.createdAt).where(sql`${t.removedAt} is null`),
    // Fraud rules ask how many players hold one card.
    index('cards_fingerprint_idx').on(t.fingerprint),
    check('cards_removed_not_default', sql`not (${t.isDefault} and ${t.removedAt} is not null)`),
    check('cards_last4_digits', sql`${t.last4} ~ '^[0-9]{4}$'`),
    check('cards_exp_month_range', sql`${t.expMonth} between 1 and 12`),
  ],
);
