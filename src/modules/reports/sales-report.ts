import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { ledgerAccounts, ledgerEntries, ledgerTransactions, purchases } from '../../db/schema/index.js';
import { NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { canManageGame, findGame, type GameRow } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';

/** Money figures of a group of real-money ledger postings, in integer minor units of one currency. */
export interface SalesFigures {
  readonly currency: string;
  /** What buyers paid (sale postings: debit of the acquirer receivable). */
  readonly grossMinor: number;
  /** Given back by refunds, and taken back by disputes (credits of the acquirer receivable). */
  readonly refundsMinor: number;
  readonly disputesMinor: number;
  /** The platform's fee net of the fee returned by refunds and disputes. */
  readonly platformFeesMinor: number;
  /** The game's share net of refunds and disputes; gross − refunds − disputes = platformFees + net. */
  readonly netMinor: number;
  /** Postings counted: sales, refunds, disputes. */
  readonly sales: number;
  readonly refunds: number;
  readonly disputes: number;
  /** Units sold (quantities of the sales). */
  readonly units: number;
}

export interface ItemSales extends SalesFigures {
  readonly itemId: string;
}

export interface DailySales extends SalesFigures {
  /** The UTC day, YYYY-MM-DD. */
  readonly day: string;
}

export interface SalesReport {
  readonly game: GameRow;
  readonly from: Date;
  readonly to: Date;
  /** Per currency, over the whole period. */
  readonly totals: readonly SalesFigures[];
  /** Per item and currency. */
  readonly items: readonly ItemSales[];
  /** Per UTC day and currency, days with postings only, oldest first. */
  readonly days: readonly DailySales[];
}

/** getSalesReport's input as the boundary parses it (parseInput): a period of at most 366 days. */
export const salesReportInput = z
  .object({ gameId: z.string(), from: z.date(), to: z.date() })
  .refine((v) => v.from.getTime() < v.to.getTime(), { message: 'must be after from', path: ['to'] })
  .refine((v) => v.to.getTime() - v.from.getTime() <= 366 * 86_400_000, {
    message: 'the period may be at most 366 days',
    path: ['to'],
  });
export type SalesReportInput = z.output<typeof salesReportInput>;

const REAL_MONEY_KINDS = ['sale', 'refund', 'dispute'] as const;

function empty(currency: string): { -readonly [K in keyof SalesFigures]: SalesFigures[K] } {
  return {
    currency,
    grossMinor: 0,
    refundsMinor: 0,
    disputesMinor: 0,
    platformFeesMinor: 0,
    netMinor: 0,
    sales: 0,
    refunds: 0,
    disputes: 0,
    units: 0,
  };
}

/**
 * The sales of a game over [from, to): every figure is a sum of its real-money ledger entries (sales,
 * refunds, disputes, by their posting time), so the report agrees with the ledger to the minor unit.
 * For the game's developer, its secret key and operators; anyone else is told NotFound.
 */
export async function getSalesReport(ctx: ServiceContext, input: SalesReportInput): Promise<SalesReport> {
  if (ctx.principal.kind === 'anonymous') throw new UnauthenticatedError();
  const game = await findGame(ctx.deps.db, input.gameId);
  if (!game || !canManageGame(ctx.principal, game)) throw new NotFoundError('Game');
  const { db } = ctx.deps;
  const day = sql<string>`to_char(${ledgerTransactions.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const inPeriod = and(
    eq(ledgerTransactions.gameId, game.id),
    inArray(ledgerTransactions.kind, [...REAL_MONEY_KINDS]),
    gte(ledgerTransactions.createdAt, input.from),
    lt(ledgerTransactions.createdAt, input.to),
  );

  // The legs, summed per posting kind, account kind, currency, day and item.
  const legs = await db
    .select({
      txKind: ledgerTransactions.kind,
      accountKind: ledgerAccounts.kind,
      currency: ledgerEntries.currency,
      day,
      itemId: purchases.itemId,
      total: sql<number>`sum(${ledgerEntries.amountMinor})::bigint`.mapWith(Number),
    })
    .from(ledgerTransactions)
    .innerJoin(ledgerEntries, eq(ledgerEntries.transactionId, ledgerTransactions.id))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .leftJoin(purchases, eq(purchases.id, ledgerTransactions.purchaseId))
    .where(inPeriod)
    .groupBy(ledgerTransactions.kind, ledgerAccounts.kind, ledgerEntries.currency, day, purchases.itemId);

  // The postings themselves, counted, with the units of the sales.
  const postings = await db
    .select({
      txKind: ledgerTransactions.kind,
      currency: purchases.currency,
      day,
      itemId: purchases.itemId,
      count: sql<number>`count(*)::int`.mapWith(Number),
      units: sql<number>`coalesce(sum(${purchases.quantity}), 0)::bigint`.mapWith(Number),
    })
    .from(ledgerTransactions)
    .leftJoin(purchases, eq(purchases.id, ledgerTransactions.purchaseId))
    .where(inPeriod)
    .groupBy(ledgerTransactions.kind, purchases.currency, day, purchases.itemId);

  const totals = new Map<string, ReturnType<typeof empty>>();
  const items = new Map<string, ReturnType<typeof empty> & { itemId: string }>();
  const days = new Map<string, ReturnType<typeof empty> & { day: string }>();
  const groups = (currency: string, dayKey: string, itemId: string | null) => {
    let total = totals.get(currency);
    if (!total) totals.set(currency, (total = empty(currency)));
    let perDay = days.get(`${dayKey}|${currency}`);
    if (!perDay) days.set(`${dayKey}|${currency}`, (perDay = { ...empty(currency), day: dayKey }));
    const out: ReturnType<typeof empty>[] = [total, perDay];
    if (itemId) {
      let perItem = items.get(`${itemId}|${currency}`);
      if (!perItem) items.set(`${itemId}|${currency}`, (perItem = { ...empty(currency), itemId }));
      out.push(perItem);
    }
    return out;
  };

  for (const leg of legs) {
    for (const g of groups(leg.currency, leg.day, leg.itemId)) {
      // Signs: debit positive. A sale debits the receivable; reversals credit it and debit fee and share back.
      if (leg.accountKind === 'acquirer_receivable') {
        if (leg.txKind === 'sale') g.grossMinor += leg.total;
        else if (leg.txKind === 'refund') g.refundsMinor -= leg.total;
        else g.disputesMinor -= leg.total;
      } else if (leg.accountKind === 'platform_revenue') g.platformFeesMinor -= leg.total;
      else if (leg.accountKind === 'game_payable') g.netMinor -= leg.total;
    }
  }
  for (const p of postings) {
    if (!p.currency) continue; // a posting without its purchase cannot be attributed (never expected)
    for (const g of groups(p.currency, p.day, p.itemId)) {
      if (p.txKind === 'sale') {
        g.sales += p.count;
        g.units += p.units;
      } else if (p.txKind === 'refund') g.refunds += p.count;
      else g.disputes += p.count;
    }
  }

  const byCurrency = <T extends SalesFigures>(a: T, b: T) => a.currency.localeCompare(b.currency);
  return {
    game,
    from: input.from,
    to: input.to,
    totals: [...totals.values()].sort(byCurrency),
    items: [...items.values()].sort((a, b) => a.itemId.localeCompare(b.itemId) || byCurrency(a, b)),
    days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day) || byCurrency(a, b)),
  };
}
