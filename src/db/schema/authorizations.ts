import { pgTable, text, timestamp, uuid, bigint, index, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { players } from './accounts.js';
import { games } from './games.js';

/** A player's grant to a game, with the one-tap allowance and the game token (stored hashed). */
export const gameAuthorizations = pgTable(
  'game_authorizations',
  {
    id: uuid('id').primaryKey(),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    oneTapMaxMinor: bigint('one_tap_max_minor', { mode: 'number' }).notNull(),
    dailyCapMinor: bigint('daily_cap_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('game_authorizations_active_uq').on(t.playerId, t.gameId).where(sql`${t.revokedAt} is null`),
    index('game_authorizations_game_idx').on(t.gameId),
  ],
);
