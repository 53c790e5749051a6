// The sandbox acquirer's own tables: a separate service that happens to share the database, so every name starts with acquirer_.
// Every row belongs to a merchant account, derived from the shared secret: acquirers with other secrets on the same
// database (other deployments, parallel test runs) neither see nor sweep each other's cards, charges, keys or disputes.
import {
  pgTable,
  text,
  timestamp,
  integer,
  bigint,
  jsonb,
  index,
  uniqueIndex,
  check,
  primaryKey,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** Tokenized cards. The number exists only as AES-256-GCM ciphertext; the CVC only as a keyed verifier (HMAC). */
export const acquirerCards = pgTable('acquirer_cards', {
  token: text('token').primaryKey(),
  account: text('account').notNull(),
  /** `v1.<iv>.<tag>.<ciphertext>` (base64url), AES-256-GCM with the token as associated data. */
  numberCiphertext: text('number_ciphertext').notNull(),
  cvcVerifier: text('cvc_verifier').notNull(),
  brand: text('brand').notNull(),
  last4: text('last4').notNull(),
  expMonth: integer('exp_month').notNull(),
  expYear: integer('exp_year').notNull(),
  holderName: text('holder_name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const acquirerCharges = pgTable(
  'acquirer_charges',
  {
    id: text('id').primaryKey(),
    account: text('account').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    cardToken: text('card_token')
      .notNull()
      .references(() => acquirerCards.token),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['approved', 'declined', 'requires_action'] }).notNull(),
    declineCode: text('decline_code'),
    risk: text('risk', { enum: ['normal', 'elevated', 'highest'] }).notNull(),
    refundedMinor: bigint('refunded_minor', { mode: 'number' }).notNull().default(0),
    voidedAt: timestamp('voided_at', { withTimezone: true }),
    /** When the dispute card's charge is to be disputed; null for every other card. */
    disputeDueAt: timestamp('dispute_due_at', { withTimezone: true }),
    disputedAt: timestamp('disputed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('acquirer_charges_account_key_uq').on(t.account, t.idempotencyKey),
    index('acquirer_charges_dispute_due_idx')
      .on(t.disputeDueAt)
      .where(sql`${t.disputedAt} is null and ${t.disputeDueAt} is not null`),
    check('acquirer_charges_amount_positive', sql`${t.amountMinor} > 0`),
    check('acquirer_charges_refund_bounded', sql`${t.refundedMinor} between 0 and ${t.amountMinor}`),
  ],
);

export const acquirerRefunds = pgTable(
  'acquirer_refunds',
  {
    id: text('id').primaryKey(),
    chargeId: text('charge_id')
      .notNull()
      .references(() => acquirerCharges.id),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    kind: text('kind', { enum: ['refund', 'void'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('acquirer_refunds_charge_idx').on(t.chargeId),
    check('acquirer_refunds_amount_positive', sql`${t.amountMinor} > 0`),
  ],
);

export const acquirerDisputes = pgTable(
  'acquirer_disputes',
  {
    id: text('id').primaryKey(),
    account: text('account').notNull(),
    chargeId: text('charge_id')
      .notNull()
      .unique()
      .references(() => acquirerCharges.id),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: ['needs_response'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('acquirer_disputes_account_created_idx').on(t.account, t.createdAt, t.id)],
);

/** URLs the platform registered for dispute callbacks. */
export const acquirerWebhookEndpoints = pgTable(
  'acquirer_webhook_endpoints',
  {
    id: text('id').primaryKey(),
    account: text('account').notNull(),
    url: text('url').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('acquirer_webhook_endpoints_account_url_uq').on(t.account, t.url)],
);

/** One row per dispute and endpoint; retried with backoff until delivered or out of attempts. */
export const acquirerDisputeDeliveries = pgTable(
  'acquirer_dispute_deliveries',
  {
    id: text('id').primaryKey(),
    disputeId: text('dispute_id')
      .notNull()
      .references(() => acquirerDisputes.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => acquirerWebhookEndpoints.id, { onDelete: 'cascade' }),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    lastError: text('last_error'),
  },
  (t) => [
    uniqueIndex('acquirer_dispute_deliveries_uq').on(t.disputeId, t.endpointId),
    index('acquirer_dispute_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null`),
  ],
);

/**
 * Idempotency keys of POST requests, per operation: a keyed hash of the request and the stored
 * answer, written in the same transaction as the effect so that a replay is exact.
 */
export const acquirerIdempotencyKeys = pgTable(
  'acquirer_idempotency_keys',
  {
    account: text('account').notNull(),
    operation: text('operation').notNull(),
    key: text('key').notNull(),
    /** HMAC-SHA256 of method, path and canonical body: never the body itself (it may hold a card number). */
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: jsonb('response_body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.account, t.operation, t.key] })],
);
