import { pgTable, text, timestamp, uuid, integer, index, uniqueIndex, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { developers } from './accounts.js';

export const games = pgTable(
  'games',
  {
    id: uuid('id').primaryKey(),
    developerId: uuid('developer_id')
      .notNull()
      .references(() => developers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    defaultCurrency: text('default_currency').notNull(),
    platformFeeBps: integer('platform_fee_bps').notNull().default(3000),
    webhookUrl: text('webhook_url'),
    /** Exact web origins the game runs on (Coinslot Connect: postMessage targets, frame-ancestors, CORS). */
    allowedOrigins: text('allowed_origins').array().notNull().default(sql`'{}'::text[]`),
    /** Exact OAuth redirect URIs of its native apps (private-use schemes, https app links). */
    redirectUris: text('redirect_uris').array().notNull().default(sql`'{}'::text[]`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('games_developer_idx').on(t.developerId),
    check('games_fee_range', sql`${t.platformFeeBps} between 0 and 10000`),
  ],
);

/** API keys of a game (`sk_` secret, `pk_` publishable); only a keyed hash is kept. */
export const gameKeys = pgTable(
  'game_keys',
  {
    id: uuid('id').primaryKey(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['secret', 'publishable'] }).notNull(),
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters, to tell keys apart in a dashboard. */
    keyPrefix: text('key_prefix').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('game_keys_game_idx').on(t.gameId)],
);

/** Virtual currencies of a game (GEM, COIN…). */
export const gameCurrencies = pgTable(
  'game_currencies',
  {
    id: uuid('id').primaryKey(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('game_currencies_game_code_uq').on(t.gameId, t.code)],
);

/**
 * Webhook signing secrets of a game (`whsec_…`). They must be usable for signing, so they are kept
 * encrypted (AES-256-GCM), not hashed. A rotated-out secret stays valid until `expiresAt` (overlap).
 */
export const gameWebhookSecrets = pgTable(
  'game_webhook_secrets',
  {
    id: uuid('id').primaryKey(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    /** `v2:<key id>:` + base64url of iv (12 bytes) | auth tag (16 bytes) | ciphertext (webhook-secret-cipher.ts). */
    secretCiphertext: text('secret_ciphertext').notNull(),
    /** The first characters, to tell secrets apart in a dashboard. */
    secretPrefix: text('secret_prefix').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** Null while current; set when rotated out, to the end of the overlap. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [index('game_webhook_secrets_game_idx').on(t.gameId)],
);
