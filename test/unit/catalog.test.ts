// The catalog's rules without a database: who may add an item, what an item's definition must
// satisfy (prices, grants, the availability window), and when an item is on sale.
import { describe, expect, it } from 'vitest';
import { createItem, createItemInput, isOnSale, MAX_GRANT_MINOR } from '../../src/modules/catalog/index.js';
import { assertValidDraft, type ItemDraft } from '../../src/modules/catalog/item-input.js';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../../src/shared/errors.js';
import { parseInput } from '../../src/shared/validation.js';
import { unitContext } from '../helpers/unit-deps.js';

const draft = (overrides: Partial<ItemDraft> = {}): ItemDraft => ({
  sku: 'extra-life',
  name: 'Extra life',
  description: null,
  kind: 'CONSUMABLE',
  prices: [{ amountMinor: 99, currency: 'USD' }],
  grants: null,
  maxPerPlayer: null,
  stock: null,
  availableFrom: null,
  availableUntil: null,
  ...overrides,
});

const issuesOf = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => i.path);
    throw error;
  }
  return [];
};

describe('createItem refuses before it touches the database', () => {
  const input = {
    gameId: 'g',
    sku: 'life',
    name: 'Life',
    kind: 'CONSUMABLE',
    prices: [{ amount: '99', currency: 'USD' }],
  };
  const parse = (raw: unknown) => () => parseInput(createItemInput, raw);

  it('refuses an anonymous caller (Unauthenticated) and a player (Forbidden)', async () => {
    const parsed = parseInput(createItemInput, input);
    await expect(createItem(unitContext({ kind: 'anonymous' }), parsed)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(
      createItem(unitContext({ kind: 'player', playerId: 'p', sessionId: 's' }), parsed),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('parses the input once at the boundary: prices become Money', () => {
    expect(parseInput(createItemInput, input).prices).toEqual([{ amountMinor: 99, currency: 'USD' }]);
  });

  it('refuses a malformed SKU, a price in decimals and an empty price list, naming each field', () => {
    expect(issuesOf(parse({ ...input, sku: 'not a sku!', prices: [{ amount: '0.99', currency: 'USD' }] }))).toEqual(
      expect.arrayContaining(['input.sku', 'input.prices.0.amount']),
    );
    expect(issuesOf(parse({ ...input, prices: [] }))).toEqual(['input.prices']);
  });
});

describe("an item's definition (assertValidDraft)", () => {
  it('accepts an item priced in ISO currencies, and a currency pack granting one of the game’s currencies', () => {
    expect(issuesOf(() => assertValidDraft(draft(), []))).toEqual([]);
    const pack = draft({ kind: 'CURRENCY_PACK', grants: { amountMinor: 500, currency: 'GEM' } });
    expect(issuesOf(() => assertValidDraft(pack, ['GEM']))).toEqual([]);
  });

  it('refuses an unknown currency and a currency listed twice', () => {
    expect(issuesOf(() => assertValidDraft(draft({ prices: [{ amountMinor: 1, currency: 'XYZQ' }] }), []))).toEqual([
      'input.prices.0.currency',
    ]);
    const twice = draft({
      prices: [
        { amountMinor: 1, currency: 'USD' },
        { amountMinor: 2, currency: 'USD' },
      ],
    });
    expect(issuesOf(() => assertValidDraft(twice, []))).toEqual(['input.prices.1.currency']);
  });

  it('lets only a currency pack grant, of a currency the game defined, never priced in what it grants', () => {
    expect(issuesOf(() => assertValidDraft(draft({ kind: 'CURRENCY_PACK' }), ['GEM']))).toEqual(['input.grants']);
    expect(issuesOf(() => assertValidDraft(draft({ grants: { amountMinor: 5, currency: 'GEM' } }), ['GEM']))).toEqual([
      'input.grants',
    ]);
    const undefinedCurrency = draft({ kind: 'CURRENCY_PACK', grants: { amountMinor: 5, currency: 'GEM' } });
    expect(issuesOf(() => assertValidDraft(undefinedCurrency, []))).toEqual(['input.grants.currency']);
    const circular = draft({
      kind: 'CURRENCY_PACK',
      prices: [{ amountMinor: 5, currency: 'GEM' }],
      grants: { amountMinor: 5, currency: 'GEM' },
    });
    expect(issuesOf(() => assertValidDraft(circular, ['GEM']))).toEqual(['input.prices.0.currency']);
  });

  it('caps a grant so that the largest purchase still credits a safe integer', () => {
    const big = draft({ kind: 'CURRENCY_PACK', grants: { amountMinor: MAX_GRANT_MINOR + 1, currency: 'GEM' } });
    expect(issuesOf(() => assertValidDraft(big, ['GEM']))).toEqual(['input.grants.amount']);
  });

  it('refuses an empty availability window', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(issuesOf(() => assertValidDraft(draft({ availableFrom: at, availableUntil: at }), []))).toEqual([
      'input.availableUntil',
    ]);
  });
});

describe('isOnSale', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const item = { archivedAt: null, availableFrom: null, availableUntil: null };

  it('is on sale without a window, and inside it (from inclusive, until exclusive)', () => {
    expect(isOnSale(item, now)).toBe(true);
    expect(isOnSale({ ...item, availableFrom: now, availableUntil: new Date(now.getTime() + 1) }, now)).toBe(true);
    expect(isOnSale({ ...item, availableUntil: now }, now)).toBe(false);
    expect(isOnSale({ ...item, availableFrom: new Date(now.getTime() + 1) }, now)).toBe(false);
  });

  it('is never on sale once archived', () => {
    expect(isOnSale({ ...item, archivedAt: new Date(0) }, now)).toBe(false);
  });
});
