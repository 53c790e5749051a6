// What the game makes of catalog items: which price to show, and what an item does in play.
import type { ResultOf } from '../api/graphql.js';
import type { ItemFields, PurchaseFields } from '../api/operations.js';

export type Item = ResultOf<typeof ItemFields>;
export type Money = Item['prices'][number];
export type Purchase = ResultOf<typeof PurchaseFields>;
export type PurchaseStatus = Purchase['status'];

/** What buying an item does in the game. */
export type Effect = 'life' | 'skin' | 'gems' | 'shield';

const ISO_CURRENCIES: ReadonlySet<string> = new Set(
  typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : ['USD', 'EUR', 'GBP', 'JPY'],
);

/** A game's virtual currency (GEM) rather than money: bought from the wallet, never from a card. */
export function isVirtualCurrency(currency: string): boolean {
  return !ISO_CURRENCIES.has(currency.toUpperCase());
}

/**
 * The price the shop shows and sends back as `expectedPrice`: the item's first price, preferring a
 * virtual currency when the item has one (gem-priced items), else the game's money currency.
 */
export function displayPrice(item: Item, preferredCurrency?: string): Money | null {
  const virtual = item.prices.find((p) => isVirtualCurrency(p.currency));
  if (virtual) return virtual;
  return item.prices.find((p) => p.currency === preferredCurrency) ?? item.prices[0] ?? null;
}

/** An item's effect: by kind, and for consumables by what its sku or name says. */
export function effectOf(item: Pick<Item, 'kind' | 'sku' | 'name'>): Effect {
  if (item.kind === 'CURRENCY_PACK') return 'gems';
  if (item.kind === 'DURABLE') return 'skin';
  return /life|heart/i.test(`${item.sku} ${item.name}`) ? 'life' : 'shield';
}

export const TERMINAL: ReadonlySet<PurchaseStatus> = new Set<PurchaseStatus>([
  'SUCCEEDED',
  'FAILED',
  'CANCELED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
]);

/** True when the purchase will not change again by itself. */
export function isTerminal(status: PurchaseStatus): boolean {
  return TERMINAL.has(status);
}

/** Catalog order in the shop: lives first, then skins, gem packs, and gem-priced items. */
export function shopOrder(items: readonly Item[]): Item[] {
  const rank = (item: Item): number => {
    const price = displayPrice(item);
    const gemPriced = price ? isVirtualCurrency(price.currency) : false;
    return (gemPriced ? 10 : 0) + { life: 0, skin: 1, gems: 2, shield: 3 }[effectOf(item)];
  };
  return [...items].sort((a, b) => rank(a) - rank(b));
}
