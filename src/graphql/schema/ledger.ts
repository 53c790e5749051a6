import { resolveCursorConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { orNotFound } from '../errors.js';
import { MoneyRef } from '../scalars.js';
import {
  checkGameLedger,
  getLedgerAccounts,
  getLedgerAccountsByIds,
  getLedgerEntriesByIds,
  getLedgerTransactionEntries,
  getLedgerTransactionsByIds,
  ledgerAccountKinds,
  ledgerTransactionKinds,
  listLedgerEntries,
  type LedgerAccountView,
  type LedgerEntryView,
  type LedgerTransactionView,
} from '../../modules/ledger/index.js';
import { PlayerRef } from './accounts.js';
import { GameRef } from './games.js';
import { decodeId, encodeCursor, keysetPage } from '../relay.js';
import { publicIdOrNull } from '../../shared/public-ids.js';

const upperValues = <T extends string>(values: readonly T[], descriptions: Record<string, string>) =>
  Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v, description: descriptions[v] }]));

const LedgerAccountKindEnum = builder.enumType('LedgerAccountKind', {
  description:
    "ACQUIRER_RECEIVABLE: owed by the acquirer; GAME_PAYABLE: owed to the developer; PLATFORM_REVENUE: Coinslot fees; PLAYER_WALLET: a player's game currency; CURRENCY_ISSUED / CURRENCY_SPENT: game currency issued to and spent by players.",
  values: upperValues(ledgerAccountKinds, {
    acquirer_receivable: 'Money the acquirer owes Coinslot for card sales not yet paid out.',
    game_payable: "Money Coinslot owes the game's developer: sales minus fees, refunds and disputes.",
    platform_revenue: "Coinslot's fees on the game's sales.",
    player_wallet: "One player's balance of a game currency.",
    currency_issued: 'Game currency handed to players (bought in packs or granted).',
    currency_spent: 'Game currency players spent on items.',
  }) as Record<string, { value: (typeof ledgerAccountKinds)[number] }>,
});
const LedgerTransactionKindEnum = builder.enumType('LedgerTransactionKind', {
  description: 'What a posting records.',
  values: upperValues(ledgerTransactionKinds, {
    sale: 'A card sale: the price, split into the developer share and the Coinslot fee.',
    refund: 'Money given back to the player for a purchase, with its share of the fee.',
    dispute: 'Money taken back by the card holder’s bank (a chargeback).',
    wallet_credit: 'Game currency added to a player’s wallet (a currency pack or a grant).',
    wallet_spend: 'Game currency a player spent on an item.',
    wallet_spend_reversal: 'A wallet purchase given back: the currency returns to the player.',
    wallet_clawback: 'Game currency taken back after the card purchase that paid for it was refunded or disputed.',
  }) as Record<string, { value: (typeof ledgerTransactionKinds)[number] }>,
});
const LedgerSideEnum = builder.enumType('LedgerSide', {
  description: 'Which side of an account an amount is on, in double-entry bookkeeping.',
  values: {
    DEBIT: { value: 'debit' as const, description: 'Raises what an asset holds (money owed to Coinslot).' },
    CREDIT: {
      value: 'credit' as const,
      description: 'Raises what is owed or earned (payable to the developer, revenue).',
    },
  },
});

export const LedgerAccountRef = builder.loadableNodeRef('LedgerAccount', {
  id: { resolve: (a: LedgerAccountView) => a.id },
  load: (ids: string[], ctx) => getLedgerAccountsByIds(ctx.service, ids).then(orNotFound('LedgerAccount')),
  sort: (a) => a.id,
});
LedgerAccountRef.implement({
  description: 'A ledger account of a game in one currency.',
  fields: (t) => ({
    kind: t.field({ type: LedgerAccountKindEnum, description: 'What the account holds.', resolve: (a) => a.kind }),
    currency: t.exposeString('currency', { description: 'ISO 4217 code, or a game currency code.' }),
    player: t.field({
      type: PlayerRef,
      nullable: true,
      description: 'Whose wallet (PLAYER_WALLET only).',
      resolve: (a) => a.playerId,
    }),
    normalSide: t.field({
      type: LedgerSideEnum,
      description: 'The side on which this account grows.',
      resolve: (a) => a.normalSide,
    }),
    balance: t.field({
      type: MoneyRef,
      description:
        'The balance on its normal side: what the account normally holds is positive (a payable owed to the developer, revenue earned).',
      resolve: (a) => ({
        amountMinor: a.normalSide === 'debit' ? a.balanceMinor : -a.balanceMinor,
        currency: a.currency,
      }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the account was opened.' }),
  }),
});

export const LedgerTransactionRef = builder.loadableNodeRef('LedgerTransaction', {
  id: { resolve: (tx: LedgerTransactionView) => tx.id },
  load: (ids: string[], ctx) => getLedgerTransactionsByIds(ctx.service, ids).then(orNotFound('LedgerTransaction')),
  sort: (tx) => tx.id,
});

export const LedgerEntryRef = builder.loadableNodeRef('LedgerEntry', {
  id: { resolve: (e: LedgerEntryView) => e.id },
  load: (ids: string[], ctx) => getLedgerEntriesByIds(ctx.service, ids).then(orNotFound('LedgerEntry')),
  sort: (e) => e.id,
});

LedgerTransactionRef.implement({
  description: 'The posting an entry belongs to; every posting sums to zero per currency.',
  fields: (t) => ({
    kind: t.field({ type: LedgerTransactionKindEnum, description: 'What it records.', resolve: (tx) => tx.kind }),
    reference: t.exposeString('reference', {
      description: 'What it posts: the purchase, refund or dispute id, or a grant key.',
    }),
    purchaseId: t.id({
      nullable: true,
      description: 'The purchase it belongs to (pur_…), if any.',
      resolve: (tx) => publicIdOrNull('Purchase', tx.purchaseId),
    }),
    refundId: t.id({
      nullable: true,
      description: 'The refund it records (ref_…), for REFUND postings.',
      resolve: (tx) => publicIdOrNull('Refund', tx.refundId),
    }),
    disputeId: t.id({
      nullable: true,
      description: 'The dispute it records (dsp_…), for DISPUTE postings.',
      resolve: (tx) => publicIdOrNull('Dispute', tx.disputeId),
    }),
    entries: t.loadableList({
      type: LedgerEntryRef,
      description: 'Its legs, oldest first: the debits and credits that sum to zero per currency.',
      load: (ids: string[], ctx) => getLedgerTransactionEntries(ctx.service, ids),
      resolve: (tx) => tx.id,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was posted.' }),
  }),
});

LedgerEntryRef.implement({
  description:
    'One leg of a posting: an amount debited or credited to an account. Entries are never changed; corrections are new postings.',
  fields: (t) => ({
    account: t.field({ type: LedgerAccountRef, description: 'The account it moves.', resolve: (e) => e.accountId }),
    side: t.field({
      type: LedgerSideEnum,
      description: 'Debit or credit.',
      resolve: (e) => (e.amountMinor > 0 ? 'debit' : 'credit'),
    }),
    amount: t.field({
      type: MoneyRef,
      description: 'Always positive; side says which way.',
      resolve: (e) => ({ amountMinor: Math.abs(e.amountMinor), currency: e.currency }),
    }),
    transaction: t.field({
      type: LedgerTransactionRef,
      description: 'The posting it is a leg of.',
      resolve: (e) => e.transactionId,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was posted.' }),
  }),
});

interface LedgerShape {
  readonly gameId: string;
  readonly accounts: readonly LedgerAccountView[];
}

const LedgerRef = builder.objectRef<LedgerShape>('Ledger').implement({
  description: "A game's double-entry books: one set of accounts per currency.",
  fields: (t) => ({
    game: t.field({ type: GameRef, description: 'The game whose books these are.', resolve: (l) => l.gameId }),
    accounts: t.field({
      type: [LedgerAccountRef],
      description: "The game's accounts with their balances, by currency and kind; player wallets only when asked for.",
      args: {
        includeWallets: t.arg.boolean({
          defaultValue: false,
          description: "Also list every player's wallet account (there may be very many).",
        }),
      },
      resolve: (l, { includeWallets }, ctx) =>
        includeWallets ? getLedgerAccounts(ctx.service, l.gameId, { includeWallets: true }) : [...l.accounts],
    }),
    entries: t.connection(
      {
        type: LedgerEntryRef,
        description: 'Entries, oldest first; filter by account or purchase.',
        args: {
          accountId: t.arg.id({ description: 'Only the entries of this account (lac_…).' }),
          purchaseId: t.arg.id({ description: 'Only the entries of this purchase (pur_…).' }),
        },
        resolve: (l, args, ctx) =>
          resolveCursorConnection<Promise<LedgerEntryView[]>>({ args, toCursor: encodeCursor, maxSize: 100 }, (page) =>
            listLedgerEntries(ctx.service, l.gameId, keysetPage(page), {
              accountId: args.accountId == null ? undefined : decodeId('LedgerAccount', args.accountId, 'accountId'),
              purchaseId: args.purchaseId == null ? undefined : decodeId('Purchase', args.purchaseId, 'purchaseId'),
            }),
          ),
      },
      LedgerEntryConnection,
    ),
    violations: t.stringList({
      description: 'Broken ledger invariants of this game (empty when the books are healthy).',
      resolve: (l, _args, ctx) => checkGameLedger(ctx.service, l.gameId),
    }),
  }),
});

builder.queryField('ledger', (t) =>
  t.field({
    type: LedgerRef,
    description: "A game's ledger: for its developer and operators; another developer's game is NOT_FOUND.",
    args: { gameId: t.arg.id({ required: true, description: 'The game whose books to read (gam_…).' }) },
    authScopes: { $any: { developer: true, operator: true } },
    resolve: async (_root, { gameId }, ctx) => {
      const id = decodeId('Game', gameId, 'gameId');
      return { gameId: id, accounts: await getLedgerAccounts(ctx.service, id) };
    },
  }),
);

/** The shared Relay connection of ledger entries (one type wherever a list of them is paged). */
export const LedgerEntryConnection = builder.connectionObject({
  type: LedgerEntryRef,
  name: 'LedgerEntryConnection',
  description: 'A page of ledger entries, with the cursors to fetch the pages around it.',
});
