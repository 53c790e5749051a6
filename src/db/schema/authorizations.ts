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

/**
 * OAuth 2.0 authorization codes (RFC 6749 §4.1 + PKCE, RFC 7636) a player's consent issues to a game.
 * Only a keyed hash of the code is kept. A code is exchanged once, within its short life, by the same
 * game, with the same redirect URI and the verifier of its challenge; `issuedTokenHash` remembers the
 * token the exchange issued, so a replay can revoke it (RFC 6749 §4.1.2).
 */
export const oauthCodes = pgTable(
  'oauth_codes',
  {
    id: uuid('id').primaryKey(),
    codeHash: text('code_hash').notNull().unique(),
    authorizationId: uuid('authorization_id')
      .notNull()
      .references(() => gameAuthorizations.id, { onDelete: 'cascade' }),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    redirectUri: text('redirect_uri').notNull(),
    /** base64url(SHA-256(code_verifier)); the method is always S256. */
    codeChallenge: text('code_challenge').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    issuedTokenHash: text('issued_token_hash'),
  },
  (t) => [index('oauth_codes_expires_idx').on(t.expiresAt)],
);
