import { asc, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { itemPrices, type items, type ItemKind } from '../../db/schema/index.js';
import type { Money } from '../../shared/money.js';

export type ItemRow = typeof items.$inferSelect;

/** An item as the rest of Coinslot sees it: its row with its prices and what it grants. */
export interface CatalogItem {
  readonly id: string;
  readonly gameId: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string | null;
  readonly kind: ItemKind;
  /** One price per currency (ISO 4217 or the game's own), ordered by currency code. */
  readonly prices: readonly Money[];
  /** For CURRENCY_PACK: what a unit credits to the wallet. */
  readonly grants: Money | null;
  readonly maxPerPlayer: number | null;
  /** Units left; null is unlimited. */
  readonly stock: number | null;
  readonly availableFrom: Date | null;
  readonly availableUntil: Date | null;
  readonly archivedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Whether an item is on sale at `now`: not archived and inside its availability window. */
export function isOnSale(
  item: Pick<CatalogItem, 'archivedAt' | 'availableFrom' | 'availableUntil'>,
  now: Date,
): boolean {
  if (item.archivedAt) return false;
  if (item.availableFrom && item.availableFrom.getTime() > now.getTime()) return false;
  if (item.availableUntil && item.availableUntil.getTime() <= now.getTime()) return false;
  return true;
}

/** An item's prices from rows read with a left join on item_prices (one row per price; nulls when it has none). */
export function joinedPrices(rows: readonly { currency: string | null; amountMinor: number | null }[]): Money[] {
  const prices: Money[] = [];
  for (const row of rows)
    if (row.currency !== null && row.amountMinor !== null)
      prices.push({ amountMinor: row.amountMinor, currency: row.currency });
  return prices;
}

/** Items per prices query: a statement takes at most 65,535 bind parameters (a 100,000-item catalog failed). */
const PRICE_BATCH = 10_000;

/** Attaches prices to item rows with one query per 10,000 of them. */
export async function withPrices(executor: Executor, rows: readonly ItemRow[]): Promise<CatalogItem[]> {
  if (rows.length === 0) return [];
  const prices: (typeof itemPrices.$inferSelect)[] = [];
  for (let start = 0; start < rows.length; start += PRICE_BATCH) {
    const batch = await executor
      .select()
      .from(itemPrices)
      .where(
        inArray(
          itemPrices.itemId,
          rows.slice(start, start + PRICE_BATCH).map((r) => r.id),
        ),
      )
      .orderBy(asc(itemPrices.itemId), asc(itemPrices.currency));
    for (const price of batch) prices.push(price);
  }
  const byItem = new Map<string, Money[]>();
  for (const p of prices) {
    const list = byItem.get(p.itemId) ?? [];
    list.push({ amountMinor: p.amountMinor, currency: p.currency });
    byItem.set(p.itemId, list);
  }
  return rows.map((row) => toCatalogItem(row, byItem.get(row.id) ?? []));
}

export function toCatalogItem(row: ItemRow, prices: Money[]): CatalogItem {
  const { grantsAmountMinor, grantsCurrency, ...rest } = row;
  return {
    ...rest,
    prices,
    grants:
      grantsAmountMinor !== null && grantsCurrency !== null
        ? { amountMinor: grantsAmountMinor, currency: grantsCurrency }
        : null,
  };
}
