import { pgTable, text, timestamp, uuid, integer, jsonb, index, uniqueIndex, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { players } from './accounts.js';
import { games } from './games.js';

/** One rule that fired in a risk decision, with the value it saw and its threshold. */
export interface RiskRuleHitRow {
  readonly rule: string;
  readonly value: number;
  readonly threshold: number;
}

/**
 * A game's overrides of the fraud thresholds; a null column (or a currency absent from a map) takes
 * the platform default. The fraud module keeps every value within the platform's bounds.
 */
export const riskSettings = pgTable('risk_settings', {
  gameId: uuid('game_id')
    .primaryKey()
    .references(() => games.id, { onDelete: 'cascade' }),
  purchasesPerMinute: integer('purchases_per_minute'),
  purchasesPerHour: integer('purchases_per_hour'),
  declinesToBlock: integer('declines_to_block'),
  declineBlockSeconds: integer('decline_block_seconds'),
  cardsStepUpAt: integer('cards_step_up_at'),
  playersPerCardBlockAt: integer('players_per_card_block_at'),
  cardsPerIpBlockAt: integer('cards_per_ip_block_at'),
  cardsPerDeviceBlockAt: integer('cards_per_device_block_at'),
  newCardAgeSeconds: integer('new_card_age_seconds'),
  /** Daily cap per player per currency, minor units by ISO code. */
  dailyAmountCaps: jsonb('daily_amount_caps').$type<Record<string, number>>().notNull().default({}),
  /** Above this (minor units by ISO code) a first charge on a new card steps up. */
  newCardStepUpAmounts: jsonb('new_card_step_up_amounts').$type<Record<string, number>>().notNull().default({}),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every risk decision on a purchase or a card add, for operators (an audit log: no foreign keys,
 * so it outlives the rows it speaks of).
 */
export const riskEvents = pgTable(
  'risk_events',
  {
    id: uuid('id').primaryKey(),
    /** Null for a card add (cards belong to the player's Coinslot account, not to a game). */
    gameId: uuid('game_id'),
    playerId: uuid('player_id').notNull(),
    purchaseId: uuid('purchase_id'),
    kind: text('kind', { enum: ['purchase', 'card_add'] }).notNull(),
    decision: text('decision', { enum: ['ALLOW', 'STEP_UP', 'BLOCK'] }).notNull(),
    score: integer('score').notNull(),
    rulesFired: jsonb('rules_fired').$type<RiskRuleHitRow[]>().notNull(),
    /** The keyed fingerprint of the card involved (never the number), so that an operator can block it. */
    cardFingerprint: text('card_fingerprint'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('risk_events_created_idx').on(t.createdAt, t.id),
    index('risk_events_game_created_idx').on(t.gameId, t.createdAt, t.id),
    index('risk_events_player_created_idx').on(t.playerId, t.createdAt, t.id),
    index('risk_events_purchase_idx').on(t.purchaseId),
    check('risk_events_score_range', sql`${t.score} between 0 and 100`),
  ],
);

/** Players blocked by an operator; a block ends when `liftedAt` is set (at most one active per player). */
export const playerBlocks = pgTable(
  'player_blocks',
  {
    id: uuid('id').primaryKey(),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('player_blocks_active_uq').on(t.playerId).where(sql`${t.liftedAt} is null`)],
);

/** Card fingerprints (keyed HMAC of the number, never the number) blocked by an operator. */
export const blockedCardFingerprints = pgTable(
  'blocked_card_fingerprints',
  {
    id: uuid('id').primaryKey(),
    fingerprint: text('fingerprint').notNull(),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('blocked_card_fingerprints_active_uq').on(t.fingerprint).where(sql`${t.liftedAt} is null`)],
);
