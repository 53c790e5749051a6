import {
  pgTable,
  text,
  timestamp,
  uuid,
  bigint,
  smallint,
  index,
  unique,
  check,
  foreignKey,
  primaryKey,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { players } from './accounts.js';
import { games } from './games.js';

/**
 * Ledger accounts, all scoped to one game (the platform's revenue is kept per game, so a game's
 * books balance on their own). Real money: acquirer_receivable (what the acquirer owes us),
 * game_payable (what we owe the developer), platform_revenue (our fee). Virtual currency:
 * player_wallet (a player's units), currency_issued (units the game issued, net of clawbacks),
 * currency_spent (units players spent back to the game).
 */
export const ledgerAccountKinds = [
  'acquirer_receivable',
  'game_payable',
  'platform_revenue',
  'player_wallet',
  'currency_issued',
  'currency_spent',
] as const;
export type LedgerAccountKind = (typeof ledgerAccountKinds)[number];

export const ledgerTransactionKinds = [
  'sale',
  'refund',
  'dispute',
  'wallet_credit',
  'wallet_spend',
  'wallet_spend_reversal',
  'wallet_clawback',
] as const;
export type LedgerTransactionKind = (typeof ledgerTransactionKinds)[number];

/** Signs: balance_minor is the sum of the account's entries, debit positive and credit negative. */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: ledgerAccountKinds }).notNull(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id),
    /** Only for player_wallet. */
    playerId: uuid('player_id').references(() => players.id),
    currency: text('currency').notNull(),
    balanceMinor: bigint('balance_minor', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // (game, player) first so that a game's accounts and a player's wallets are both index lookups.
    unique('ledger_accounts_owner_uq').on(t.gameId, t.playerId, t.kind, t.currency).nullsNotDistinct(),
    // Target of the entries' (account, currency) foreign key: an entry is always in its account's currency.
    unique('ledger_accounts_id_currency_uq').on(t.id, t.currency),
    check('ledger_accounts_wallet_has_player', sql`(${t.kind} = 'player_wallet') = (${t.playerId} is not null)`),
    check('ledger_accounts_wallet_not_negative', sql`${t.kind} <> 'player_wallet' or ${t.balanceMinor} >= 0`),
  ],
);

/**
 * The running balance of an account shared by many postings (every kind but player_wallet), split
 * over a few buckets: each posting adds its amount to one bucket picked at random, so concurrent
 * sales of one game update different rows instead of queueing on one. Such an account's balance is
 * its row's balance_minor plus the sum of its buckets: the row keeps what was posted before buckets
 * existed (and what instances of that release post during a rolling upgrade, so the migration moves
 * nothing). A wallet keeps its balance in its own row, where a spend can check it in the same update.
 */
export const ledgerBalanceBuckets = pgTable(
  'ledger_balance_buckets',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    bucket: smallint('bucket').notNull(),
    balanceMinor: bigint('balance_minor', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'ledger_balance_buckets_pk', columns: [t.accountId, t.bucket] }),
    check('ledger_balance_buckets_bucket_range', sql`${t.bucket} >= 0 and ${t.bucket} < 32`),
  ],
);

/** One posting; (kind, reference) is unique so the same sale, refund or spend is never posted twice. */
export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: ledgerTransactionKinds }).notNull(),
    /** What the posting is for: the purchase id of a sale or spend, the refund or dispute id, a caller's key. */
    reference: text('reference').notNull(),
    gameId: uuid('game_id')
      .notNull()
      .references(() => games.id),
    purchaseId: uuid('purchase_id'),
    refundId: uuid('refund_id'),
    disputeId: uuid('dispute_id'),
    /** Wallet postings: whose wallet. */
    playerId: uuid('player_id').references(() => players.id),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('ledger_transactions_kind_reference_uq').on(t.kind, t.reference),
    index('ledger_transactions_purchase_idx').on(t.purchaseId),
    index('ledger_transactions_game_idx').on(t.gameId, t.createdAt),
  ],
);

/** Append-only legs of a transaction: amount_minor is signed, debit positive, credit negative. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: uuid('id').primaryKey(),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    accountId: uuid('account_id').notNull(),
    currency: text('currency').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    gameId: uuid('game_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'ledger_entries_account_currency_fk',
      columns: [t.accountId, t.currency],
      foreignColumns: [ledgerAccounts.id, ledgerAccounts.currency],
    }),
    check('ledger_entries_not_zero', sql`${t.amountMinor} <> 0`),
    index('ledger_entries_transaction_idx').on(t.transactionId),
    index('ledger_entries_account_idx').on(t.accountId, t.createdAt, t.id),
    index('ledger_entries_game_idx').on(t.gameId, t.createdAt, t.id),
  ],
);
