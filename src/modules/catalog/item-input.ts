import { z } from 'zod';
import { itemKinds, type ItemKind } from '../../db/schema/index.js';
import { isIsoCurrency } from '../../shared/currencies.js';
import { ValidationError, type FieldIssue } from '../../shared/errors.js';
import type { Money } from '../../shared/money.js';
import { moneyInput, text } from '../../shared/validation.js';

const INT4_MAX = 2_147_483_647;
const MAX_PRICES = 32;

/** The most units of an item one purchase may buy (createPurchase's `quantity`). */
export const MAX_PURCHASE_QUANTITY = 100;
/**
 * The largest grant a CURRENCY_PACK may carry: bought MAX_PURCHASE_QUANTITY at once it must still be
 * a safe integer (what the wallet, the ledger's bigint columns and every amount in TypeScript hold).
 */
export const MAX_GRANT_MINOR = Math.floor(Number.MAX_SAFE_INTEGER / MAX_PURCHASE_QUANTITY);

/** The fields of an item as createItem takes them; updateItem takes the same, each optional. */
export const itemFields = {
  sku: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 of the characters A-Z a-z 0-9 . _ -'),
  name: text(100),
  description: text(1000, 0).nullish(),
  kind: z.enum(itemKinds, { message: `must be one of ${itemKinds.join(', ')}` }),
  prices: z
    .array(moneyInput())
    .min(1, 'must list at least one price')
    .max(MAX_PRICES, `must list at most ${MAX_PRICES} prices`),
  grants: moneyInput().nullish(),
  maxPerPlayer: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(INT4_MAX, `must be at most ${INT4_MAX}`)
    .nullish(),
  stock: z
    .number()
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(INT4_MAX, `must be at most ${INT4_MAX}`)
    .nullish(),
  availableFrom: z.date().nullish(),
  availableUntil: z.date().nullish(),
};

/** An item's definition, complete, as it will be stored. */
export interface ItemDraft {
  sku: string;
  name: string;
  description: string | null;
  kind: ItemKind;
  prices: Money[];
  grants: Money | null;
  maxPerPlayer: number | null;
  stock: number | null;
  availableFrom: Date | null;
  availableUntil: Date | null;
}

/**
 * The rules that need the game or more than one field: price currencies are ISO 4217 or the game's
 * own and appear once; only a CURRENCY_PACK grants, and it grants one of the game's currencies, at
 * most MAX_GRANT_MINOR (so that any quantity a purchase may buy is still a safe integer);
 * the availability window is not empty. Throws one ValidationError listing every issue.
 */
export function assertValidDraft(draft: ItemDraft, gameCurrencies: readonly string[]): void {
  const issues: FieldIssue[] = [];
  const known = new Set(gameCurrencies);
  const listed = gameCurrencies.length ? ` (${gameCurrencies.join(', ')})` : '';
  const seen = new Set<string>();
  draft.prices.forEach((price, i) => {
    const path = `input.prices.${i}.currency`;
    if (!isIsoCurrency(price.currency) && !known.has(price.currency))
      issues.push({ path, message: `must be an ISO 4217 code or one of this game's currencies${listed}` });
    else if (seen.has(price.currency)) issues.push({ path, message: `${price.currency} is listed twice` });
    else if (draft.grants && price.currency === draft.grants.currency)
      issues.push({ path, message: 'a currency pack cannot be priced in the currency it grants' });
    seen.add(price.currency);
  });
  if (draft.kind === 'CURRENCY_PACK' && !draft.grants)
    issues.push({ path: 'input.grants', message: 'is required for a CURRENCY_PACK item' });
  if (draft.kind !== 'CURRENCY_PACK' && draft.grants)
    issues.push({ path: 'input.grants', message: 'only CURRENCY_PACK items grant a currency; set it to null' });
  if (draft.grants && draft.grants.amountMinor > MAX_GRANT_MINOR)
    issues.push({
      path: 'input.grants.amount',
      message: `must be at most ${MAX_GRANT_MINOR}, so that ${MAX_PURCHASE_QUANTITY} packs bought at once can still be credited`,
    });
  if (draft.kind === 'CURRENCY_PACK' && draft.grants && !known.has(draft.grants.currency))
    issues.push({
      path: 'input.grants.currency',
      message: `must be one of this game's currencies${listed || ' (define one first)'}`,
    });
  if (draft.availableFrom && draft.availableUntil && draft.availableFrom.getTime() >= draft.availableUntil.getTime())
    issues.push({ path: 'input.availableUntil', message: 'must be after availableFrom' });
  if (issues.length) throw new ValidationError(issues);
}

export function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return (error as { code?: string })?.code === '23505' || cause?.code === '23505';
}
