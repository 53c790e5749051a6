import { builder } from '../builder.js';
import { MoneyRef } from '../scalars.js';
import {
  getSalesReport,
  salesReportInput,
  type DailySales,
  type ItemSales,
  type SalesFigures,
  type SalesReport,
} from '../../modules/reports/index.js';
import { parseInput } from '../../shared/validation.js';
import { ItemRef } from './catalog.js';
import { GameRef } from './games.js';
import { decodeId } from '../relay.js';

const money = (pick: (f: SalesFigures) => number) => (f: SalesFigures) => ({
  amountMinor: pick(f),
  currency: f.currency,
});

const SalesFiguresRef = builder.interfaceRef<SalesFigures>('SalesFigures').implement({
  description: 'Money of real-money sales in one currency: gross − refunds − disputes = platformFees + net.',
  fields: (t) => ({
    currency: t.exposeString('currency', { description: 'The ISO 4217 code all these amounts are in.' }),
    gross: t.field({ type: MoneyRef, description: 'What buyers paid.', resolve: money((f) => f.grossMinor) }),
    refunds: t.field({ type: MoneyRef, description: 'Given back by refunds.', resolve: money((f) => f.refundsMinor) }),
    disputes: t.field({
      type: MoneyRef,
      description: 'Taken back by disputes (chargebacks).',
      resolve: money((f) => f.disputesMinor),
    }),
    platformFees: t.field({
      type: MoneyRef,
      description: "Coinslot's fee, net of the fee returned with refunds and disputes.",
      resolve: money((f) => f.platformFeesMinor),
    }),
    net: t.field({
      type: MoneyRef,
      description: "The game's share: gross − refunds − disputes − platformFees.",
      resolve: money((f) => f.netMinor),
    }),
    sales: t.exposeInt('sales', { description: 'Sales posted.' }),
    refundCount: t.int({ description: 'Refunds posted.', resolve: (f) => f.refunds }),
    disputeCount: t.int({ description: 'Disputes (chargebacks) posted.', resolve: (f) => f.disputes }),
    units: t.exposeInt('units', { description: 'Units sold.' }),
  }),
});

const SalesTotalsRef = builder.objectRef<SalesFigures>('SalesTotals').implement({
  description: 'Sales in one currency over the whole period.',
  interfaces: [SalesFiguresRef],
  isTypeOf: (f) => !('itemId' in (f as object)) && !('day' in (f as object)),
  fields: () => ({}),
});
const ItemSalesRef = builder.objectRef<ItemSales>('ItemSales').implement({
  description: 'Sales of one item in one currency.',
  interfaces: [SalesFiguresRef],
  isTypeOf: (f) => 'itemId' in (f as object),
  fields: (t) => ({ item: t.field({ type: ItemRef, description: 'The item sold.', resolve: (f) => f.itemId }) }),
});
const DailySalesRef = builder.objectRef<DailySales>('DailySales').implement({
  description: 'Sales of one UTC day in one currency.',
  interfaces: [SalesFiguresRef],
  isTypeOf: (f) => 'day' in (f as object),
  fields: (t) => ({ day: t.exposeString('day', { description: 'YYYY-MM-DD (UTC).' }) }),
});

const SalesReportRef = builder.objectRef<SalesReport>('SalesReport').implement({
  description:
    'Every figure is a sum of ledger entries posted in [from, to), so the report agrees with the ledger to the minor unit.',
  fields: (t) => ({
    game: t.field({ type: GameRef, description: 'The game reported on.', resolve: (r) => r.game }),
    from: t.expose('from', { type: 'DateTime', description: 'Start of the period, included.' }),
    to: t.expose('to', { type: 'DateTime', description: 'End of the period, excluded.' }),
    totals: t.field({
      type: [SalesTotalsRef],
      description: 'The whole period, one entry per currency.',
      resolve: (r) => [...r.totals],
    }),
    items: t.field({ type: [ItemSalesRef], description: 'Per item and currency.', resolve: (r) => [...r.items] }),
    days: t.field({ type: [DailySalesRef], description: 'Per UTC day and currency.', resolve: (r) => [...r.days] }),
  }),
});

builder.queryField('salesReport', (t) =>
  t.field({
    type: SalesReportRef,
    description:
      "A game's sales over [from, to) (at most 366 days), per currency, item and UTC day; for its developer, its secret key and operators.",
    args: {
      gameId: t.arg.id({ required: true, description: 'The game to report on (gam_…).' }),
      from: t.arg({ type: 'DateTime', required: true, description: 'Start of the period, included.' }),
      to: t.arg({
        type: 'DateTime',
        required: true,
        description: 'End of the period, excluded; at most 366 days after from.',
      }),
    },
    authScopes: { authenticated: true },
    resolve: (_root, args, ctx) =>
      getSalesReport(
        ctx.service,
        parseInput(salesReportInput, { gameId: decodeId('Game', args.gameId, 'gameId'), from: args.from, to: args.to }),
      ),
  }),
);
