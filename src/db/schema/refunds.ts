import { pgTable, text, timestamp, uuid, integer, bigint, index, uniqueIndex, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { games } from './games.js';
import { purchases } from './purchases.js';

/** pending: the amount is reserved on the purchase and the acquirer is (re)asked; succeeded: money returned and booked; failed: the acquirer refused, the reservation was given back. */
export const refundStatuses = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof refundStatuses)[number];

/**
 * A refund of (part of) a purchase. The row is written pending in the same transaction that
 * reserves its amount on the purchase (`purchases.refunded_minor`, `refundedOrPendingMinor` in TypeScript), then completed once the
 * acquirer has returned the money; the refund id is the acquirer's idempotency key.
 */
export const refunds = pgTable(
  'refunds',
  {
    id: uuid('id').primaryKey(),
    purchaseId: uuid('purchase_id')
      .notNull()
      .references(() => purchases.id, { onDelete: 'cascade' }),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** What the caller asked for; null when no amount was given (a refund of everything left). */
    requestedMinor: bigint('requested_minor', { mode: 'number' }),
    reason: text('reason').notNull(),
    status: text('status', { enum: refundStatuses }).notNull(),
    acquirerRefundId: text('acquirer_refund_id'),
    /** The caller's key: once per purchase, so a retry finds this refund instead of making another. */
    idempotencyKey: text('idempotency_key').notNull(),
    /** The platform fee this refund gave back (set when it succeeds; 0 for wallet purchases). */
    feeReturnedMinor: bigint('fee_returned_minor', { mode: 'number' }),
    /** Who asked: `game:<id>` for the game's secret key, `operator`. */
    requestedBy: text('requested_by').notNull(),
    /** The acquirer's refusal code when failed (amount_exceeds_refundable, charge_not_refundable…). */
    failureCode: text('failure_code'),
    /** Acquirer calls made so far and the last transient error, for the recovery loop and operators. */
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** A recovery worker's lease on a pending refund (many instances, no double work). */
    recoveryLeaseUntil: timestamp('recovery_lease_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('refunds_purchase_idempotency_uq').on(t.purchaseId, t.idempotencyKey),
    index('refunds_purchase_idx').on(t.purchaseId, t.createdAt),
    index('refunds_game_created_idx').on(t.gameId, t.createdAt, t.id),
    index('refunds_created_idx').on(t.createdAt, t.id),
    index('refunds_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
    check('refunds_amount_positive', sql`${t.amountMinor} > 0`),
    check(
      'refunds_fee_returned_bounded',
      sql`${t.feeReturnedMinor} is null or (${t.feeReturnedMinor} >= 0 and ${t.feeReturnedMinor} <= ${t.amountMinor})`,
    ),
  ],
);

/**
 * A dispute (chargeback) the acquirer reported for a purchase's charge, recorded once per
 * acquirer dispute id however often it is delivered (callback and poll).
 */
export const disputes = pgTable(
  'disputes',
  {
    id: uuid('id').primaryKey(),
    purchaseId: uuid('purchase_id')
      .notNull()
      .references(() => purchases.id, { onDelete: 'cascade' }),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id, { onDelete: 'cascade' }),
    acquirerDisputeId: text('acquirer_dispute_id').notNull(),
    acquirerChargeId: text('acquirer_charge_id').notNull(),
    /** What the dispute took back and was booked: the acquirer's amount, capped at what refunds had left of the purchase. */
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    /** The amount the acquirer reported. */
    acquirerAmountMinor: bigint('acquirer_amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    /** The platform fee given back with it. */
    feeReturnedMinor: bigint('fee_returned_minor', { mode: 'number' }).notNull().default(0),
    /** When the acquirer raised it (the poll's cursor). */
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('disputes_acquirer_dispute_uq').on(t.acquirerDisputeId),
    index('disputes_purchase_idx').on(t.purchaseId),
    index('disputes_game_created_idx').on(t.gameId, t.createdAt, t.id),
    index('disputes_created_idx').on(t.createdAt, t.id),
    index('disputes_raised_idx').on(t.raisedAt),
    check('disputes_amount_bounded', sql`${t.amountMinor} >= 0 and ${t.amountMinor} <= ${t.acquirerAmountMinor}`),
  ],
);
