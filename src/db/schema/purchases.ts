import {
  pgTable,
  text,
  timestamp,
  uuid,
  integer,
  bigint,
  boolean,
  index,
  uniqueIndex,
  jsonb,
  check,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { players } from './accounts.js';
import { games } from './games.js';
import { items } from './catalog.js';

export const purchaseStatuses = [
  'REQUIRES_CONFIRMATION',
  'REQUIRES_ACTION',
  'PROCESSING',
  'SUCCEEDED',
  'FAILED',
  'CANCELED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
] as const;
export type PurchaseStatus = (typeof purchaseStatuses)[number];

/** How the purchase is paid: charged at once within the allowance, confirmed in the pay sheet, or from the wallet. */
export const purchasePaths = ['one_tap', 'confirmation', 'wallet'] as const;
export type PurchasePath = (typeof purchasePaths)[number];

export interface RiskRuleHit {
  readonly rule: string;
  readonly value: number;
  readonly threshold: number;
}

export const purchases = pgTable(
  'purchases',
  {
    id: uuid('id').primaryKey(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    /** The buyer, who pays. */
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    /** Who receives the item: the buyer, or the friend of a gift. */
    recipientId: uuid('recipient_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    quantity: integer('quantity').notNull(),
    unitPriceMinor: bigint('unit_price_minor', { mode: 'number' }).notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    feeBps: integer('fee_bps').notNull(),
    /** Set when the sale is posted to the ledger. */
    feeMinor: bigint('fee_minor', { mode: 'number' }),
    /**
     * Refunded, or reserved by a refund still pending: what no other refund may take again. Not what
     * was given back (that is this less `refundPendingMinor`: `refundedSoFar`). The column keeps its
     * first name, `refunded_minor`; the property says what it holds.
     */
    refundedOrPendingMinor: bigint('refunded_minor', { mode: 'number' }).notNull().default(0),
    /** The part of refundedOrPendingMinor that pending refunds hold (not yet answered by the acquirer). */
    refundPendingMinor: bigint('refund_pending_minor', { mode: 'number' }).notNull().default(0),
    status: text('status', { enum: purchaseStatuses }).notNull(),
    path: text('path', { enum: purchasePaths }).notNull(),
    /**
     * Why the purchase waits for the player. In REQUIRES_ACTION: 'acquirer' (3-D Secure-like) or 'risk'
     * (our step-up). In REQUIRES_CONFIRMATION: 'always_ask', 'currency', 'one_tap_max' or 'daily_cap'
     * (which part of the allowance it is outside of; see confirmationCause).
     */
    actionReason: text('action_reason'),
    cardId: uuid('card_id'),
    /** Each charge attempt has its own acquirer idempotency key: the purchase id, then id:2, id:3 after a void. */
    chargeAttempt: integer('charge_attempt').notNull().default(1),
    /** The current attempt was made with the CVC (a step-up is satisfied and not asked again). */
    attemptWithCvc: boolean('attempt_with_cvc').notNull().default(false),
    acquirerChargeId: text('acquirer_charge_id'),
    declineCode: text('decline_code'),
    riskDecision: text('risk_decision', { enum: ['ALLOW', 'STEP_UP', 'BLOCK'] }),
    riskScore: integer('risk_score'),
    riskRules: jsonb('risk_rules').$type<RiskRuleHit[]>(),
    idempotencyKey: text('idempotency_key').notNull(),
    receipt: text('receipt'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    processingAt: timestamp('processing_at', { withTimezone: true }),
    /** A recovery worker's lease on a PROCESSING purchase (many instances, no double work). */
    recoveryLeaseUntil: timestamp('recovery_lease_until', { withTimezone: true }),
    /** Recovery passes that tried and failed to settle this purchase; bounded by RECOVERY_MAX_ATTEMPTS. */
    recoveryAttempts: integer('recovery_attempts').notNull().default(0),
    /** Why a purchase ended FAILED when the reason is ours, not the card's (e.g. a settlement that kept failing). */
    failureReason: text('failure_reason'),
    /** Until when an unconfirmed purchase holds its stock (PURCHASE_STOCK_HOLD); null when the hold has no end. */
    stockHoldUntil: timestamp('stock_hold_until', { withTimezone: true }),
    /** The held stock went back to the item after the hold lapsed; confirming takes it again. */
    stockReleased: boolean('stock_released').notNull().default(false),
    succeededAt: timestamp('succeeded_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The backstop of idempotency: even if Redis forgets a key, a retry finds the same purchase.
    uniqueIndex('purchases_idempotency_uq').on(t.gameId, t.playerId, t.idempotencyKey),
    index('purchases_game_created_idx').on(t.gameId, t.createdAt, t.id),
    index('purchases_player_game_created_idx').on(t.playerId, t.gameId, t.createdAt, t.id),
    index('purchases_recipient_game_created_idx').on(t.recipientId, t.gameId, t.createdAt, t.id),
    index('purchases_processing_idx').on(t.processingAt).where(sql`${t.status} = 'PROCESSING'`),
    index('purchases_awaiting_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} in ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION')`),
    // The stock-hold sweep reads lapsed holds of waiting purchases.
    index('purchases_stock_hold_idx')
      .on(t.stockHoldUntil)
      .where(sql`${t.status} in ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION') and not ${t.stockReleased}`),
    // Operators list the purchases whose settlement failed for good.
    index('purchases_settlement_failed_idx').on(t.updatedAt, t.id).where(sql`${t.declineCode} = 'settlement_failed'`),
    check('purchases_quantity_positive', sql`${t.quantity} > 0`),
    check('purchases_amount_positive', sql`${t.amountMinor} > 0`),
    check(
      'purchases_refund_bounded',
      sql`${t.refundedOrPendingMinor} >= 0 and ${t.refundedOrPendingMinor} <= ${t.amountMinor}`,
    ),
    check(
      'purchases_refund_pending_bounded',
      sql`${t.refundPendingMinor} >= 0 and ${t.refundPendingMinor} <= ${t.refundedOrPendingMinor}`,
    ),
  ],
);
