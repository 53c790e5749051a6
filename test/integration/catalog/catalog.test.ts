import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { hashToken } from '../../../src/modules/accounts/index.js';
import { getItemForPurchase, returnStock, takeStock } from '../../../src/modules/catalog/index.js';
import { OutOfStockError } from '../../../src/shared/errors.js';
import {
  ARCHIVE_ITEM,
  CATALOG,
  CREATE_ITEM,
  ItemFields,
  UPDATE_ITEM,
  createGame,
  createItem as createItemOverGraphql,
  defineCurrency,
  itemInput,
  signUpDeveloper,
  signUpPlayer,
  type CreatedGame,
  type CreateItemInput,
  type Developer,
} from './flows.js';
import { decodeId } from '../../helpers/flows.js';

const rawId = (globalId: string) => decodeId(globalId);
const HOUR = 3_600_000;

const CATALOG_WITH_GAME = graphql(
  `query CatalogWithGame($gameId: ID!) { catalog(gameId: $gameId) { id sku game { id name } } }`,
);
const CATALOG_PAGE = graphql(
  `query CatalogPage($g: ID!, $a: ID) { catalog(gameId: $g, first: 1, after: $a) { id sku } }`,
);
const GAME_ITEMS = graphql(
  `query GameItems($id: ID!) { game(id: $id) { items(first: 50) { edges { node { sku active } } } } }`,
);
const ITEM_SKU_ACTIVE = graphql(`query ItemSkuActive($id: ID!) { node(id: $id) { ... on Item { sku active } } }`);
const ITEM_NAME_ACTIVE = graphql(`query ItemNameActive($id: ID!) { node(id: $id) { ... on Item { name active } } }`);
const NODE_ID = graphql(`query NodeId($id: ID!) { node(id: $id) { id } }`);
const ITEM_NODE = graphql(`query ItemNode($id: ID!) { node(id: $id) { ... on Item { ...ItemFields } } }`, [ItemFields]);

describe('catalog', () => {
  // A clock the test moves, to cross availability windows.
  const clock = new ManualClock(Date.parse('2026-06-01T12:00:00.000Z'));
  let app: TestApp;
  let alice: Developer;
  let bob: Developer;
  let game: CreatedGame;

  beforeAll(async () => {
    app = await createTestApp({ clock, env: { BACKGROUND_JOBS: 'false' } });
    [alice, bob] = await Promise.all([signUpDeveloper(app, 'alice'), signUpDeveloper(app, 'bob')]);
    game = await createGame(app, alice);
    await defineCurrency(app, alice, game.id, 'GEM', 'Gems');
  });
  afterAll(() => app.close());

  /** Creates an item a millisecond after the previous one, so creation order is the listing order. */
  function createItem(developer: Developer, input: CreateItemInput) {
    clock.advance(1);
    return createItemOverGraphql(app, developer, input);
  }

  /** Rows of items with this sku in the database (to prove a refused input wrote nothing). */
  async function countSku(sku: string): Promise<number> {
    const rows = await app.database.pool!.query('select 1 from items where sku = $1', [sku]);
    return rows.rowCount ?? 0;
  }

  it('creates items of every kind, priced in real and virtual currencies, and lists them with the publishable key', async () => {
    const g = await createGame(app, alice);
    await defineCurrency(app, alice, g.id, 'GEM', 'Gems');
    const potion = await createItem(
      alice,
      itemInput(g.id, {
        sku: 'potion.small',
        name: 'Small potion',
        description: 'Heals a little.',
        prices: [
          { amount: '99', currency: 'USD' },
          { amount: '50', currency: 'GEM' },
        ],
        maxPerPlayer: 10,
        stock: 500,
      }),
    );
    const sword = await createItem(
      alice,
      itemInput(g.id, {
        sku: 'sword_1',
        name: 'Sword',
        kind: 'DURABLE',
        prices: [{ amount: '1999', currency: 'USD' }],
      }),
    );
    const pack = await createItem(
      alice,
      itemInput(g.id, {
        sku: 'gems-500',
        name: '500 gems',
        kind: 'CURRENCY_PACK',
        prices: [{ amount: '499', currency: 'USD' }],
        grants: { amount: '500', currency: 'GEM' },
      }),
    );
    expect(potion).toMatchObject({
      sku: 'potion.small',
      kind: 'CONSUMABLE',
      description: 'Heals a little.',
      maxPerPlayer: 10,
      stock: 500,
      active: true,
      availableNow: true,
      grants: null,
      prices: [
        { amount: '50', currency: 'GEM', formatted: '50 GEM' },
        { amount: '99', currency: 'USD', formatted: '$0.99' },
      ],
    });
    expect(pack.grants).toEqual({ amount: '500', currency: 'GEM', formatted: '500 GEM' });

    const catalog = await app.gql(CATALOG_WITH_GAME, { gameId: g.id }, { token: g.publishableKey });
    expect(catalog.errors).toBeUndefined();
    expect(catalog.data.catalog).toEqual(
      [potion, sword, pack].map((i) => ({ id: i.id, sku: i.sku, game: { id: g.id, name: 'Dungeon Tapper' } })),
    );
  });

  it("formats money with each currency's ISO digits: JPY 0, USD 2, KWD 3", async () => {
    const item = await createItem(
      alice,
      itemInput(game.id, {
        prices: [
          { amount: '500', currency: 'JPY' },
          { amount: '499', currency: 'USD' },
          { amount: '1250', currency: 'KWD' },
        ],
      }),
    );
    expect(item.prices).toEqual([
      { amount: '500', currency: 'JPY', formatted: '¥500' },
      { amount: '1250', currency: 'KWD', formatted: 'KWD\u00a01.250' },
      { amount: '499', currency: 'USD', formatted: '$4.99' },
    ]);
  });

  it.each([
    ['a fraction', '4.99', 'must be a whole number'],
    ['a negative amount', '-5', 'greater than zero'],
    ['zero', '0', 'greater than zero'],
    ['2^53, beyond safe integers', '9007199254740992', 'at most 9007199254740991'],
    ['a huge amount', '123456789012345678901234567890', 'at most'],
    ['letters', '12abc', 'must be a whole number'],
    ['an empty amount', '', 'must be a whole number'],
  ])('refuses %s as a price with the field path, writing nothing', async (_label, amount, message) => {
    const input = itemInput(game.id, {
      prices: [
        { amount: '100', currency: 'USD' },
        { amount, currency: 'GEM' },
      ],
    });
    const result = await app.gql(CREATE_ITEM, { input }, { token: alice.token });
    expect(expectTypename(result.data.createItem, 'ValidationError').fieldErrors).toEqual([
      { path: 'input.prices.1.amount', message: expect.stringContaining(message) },
    ]);
    expect(await countSku(input.sku)).toBe(0);
  });

  it('accepts the largest safe integer amount', async () => {
    const item = await createItem(
      alice,
      itemInput(game.id, { prices: [{ amount: '9007199254740991', currency: 'JPY' }] }),
    );
    expect(item.prices[0]?.amount).toBe('9007199254740991');
  });

  it.each<[string, Partial<CreateItemInput>, string]>([
    ['an unknown currency', { prices: [{ amount: '100', currency: 'XYZ' }] }, 'input.prices.0.currency'],
    ['a lowercase currency', { prices: [{ amount: '100', currency: 'usd' }] }, 'input.prices.0.currency'],
    [
      'a currency listed twice',
      {
        prices: [
          { amount: '100', currency: 'USD' },
          { amount: '200', currency: 'USD' },
        ],
      },
      'input.prices.1.currency',
    ],
    ['no price at all', { prices: [] }, 'input.prices'],
    ['a pack without grants', { kind: 'CURRENCY_PACK' }, 'input.grants'],
    [
      'a pack granting an ISO currency',
      {
        kind: 'CURRENCY_PACK',
        grants: { amount: '100', currency: 'USD' },
        prices: [{ amount: '100', currency: 'EUR' }],
      },
      'input.grants.currency',
    ],
    [
      'a pack granting an undefined currency',
      { kind: 'CURRENCY_PACK', grants: { amount: '100', currency: 'COIN' } },
      'input.grants.currency',
    ],
    [
      'a pack priced in what it grants',
      {
        kind: 'CURRENCY_PACK',
        grants: { amount: '100', currency: 'GEM' },
        prices: [{ amount: '90', currency: 'GEM' }],
      },
      'input.prices.0.currency',
    ],
    ['grants on a consumable', { grants: { amount: '100', currency: 'GEM' } }, 'input.grants'],
    ['zero grants', { kind: 'CURRENCY_PACK', grants: { amount: '0', currency: 'GEM' } }, 'input.grants.amount'],
    ['a sku with spaces', { sku: 'bad sku' }, 'input.sku'],
    ['a sku of 65 characters', { sku: 'a'.repeat(65) }, 'input.sku'],
    ['an empty name', { name: '' }, 'input.name'],
    ['a name of 101 characters', { name: 'n'.repeat(101) }, 'input.name'],
    ['a description of 1001 characters', { description: 'd'.repeat(1001) }, 'input.description'],
    ['maxPerPlayer 0', { maxPerPlayer: 0 }, 'input.maxPerPlayer'],
    ['a negative stock', { stock: -1 }, 'input.stock'],
    [
      'a window that ends before it starts',
      { availableFrom: '2026-06-02T00:00:00Z', availableUntil: '2026-06-01T00:00:00Z' },
      'input.availableUntil',
    ],
    [
      'an empty window',
      { availableFrom: '2026-06-02T00:00:00Z', availableUntil: '2026-06-02T00:00:00Z' },
      'input.availableUntil',
    ],
  ])('refuses %s with a ValidationError at its path, writing nothing', async (_label, overrides, path) => {
    const input = itemInput(game.id, overrides);
    const result = await app.gql(CREATE_ITEM, { input }, { token: alice.token });
    expect(result.errors).toBeUndefined();
    expect(expectTypename(result.data.createItem, 'ValidationError').fieldErrors.map((e) => e.path)).toContain(path);
    if (typeof input.sku === 'string') expect(await countSku(input.sku)).toBe(0);
  });

  it('refuses a sku the game already has with SkuTaken, but another game may use it', async () => {
    const sku = `dup-${randomBytes(4).toString('hex')}`;
    await createItem(alice, itemInput(game.id, { sku }));
    const again = await app.gql(
      CREATE_ITEM,
      { input: itemInput(game.id, { sku, name: 'Other' }) },
      { token: alice.token },
    );
    expect(again.data.createItem).toMatchObject({ __typename: 'SkuTaken', code: 'SKU_TAKEN', sku });
    const other = await createGame(app, alice);
    await createItem(alice, itemInput(other.id, { sku }));
    expect(await countSku(sku)).toBe(2);
  });

  it('hides archived, not-yet-available and expired items from the catalog, and shows them as their window opens', async () => {
    const g = await createGame(app, alice);
    const now = clock.now().getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    const always = await createItem(alice, itemInput(g.id, { sku: 'always' }));
    const archived = await createItem(alice, itemInput(g.id, { sku: 'archived' }));
    const later = await createItem(alice, itemInput(g.id, { sku: 'later', availableFrom: iso(now + HOUR) }));
    const expired = await createItem(alice, itemInput(g.id, { sku: 'expired', availableUntil: iso(now - 1) }));
    const endsNow = await createItem(alice, itemInput(g.id, { sku: 'ends-now', availableUntil: iso(now) }));
    await createItem(alice, itemInput(g.id, { sku: 'starts-now', availableFrom: iso(now) }));
    const flash = await createItem(
      alice,
      itemInput(g.id, { sku: 'flash', availableFrom: iso(now - HOUR), availableUntil: iso(now + HOUR) }),
    );
    const archivedResult = await app.gql(ARCHIVE_ITEM, { input: { itemId: archived.id } }, { token: alice.token });
    expect(expectTypename(archivedResult.data.archiveItem, 'ArchiveItemPayload').item).toMatchObject({
      active: false,
      availableNow: false,
    });

    const skus = async () => {
      const result = await app.gql(CATALOG, { gameId: g.id }, { token: g.publishableKey });
      expect(result.errors).toBeUndefined();
      return result.data.catalog.map((i) => i.sku);
    };
    expect(await skus()).toEqual(['always', 'starts-now', 'flash']);
    expect([expired, endsNow, later].every((i) => i.availableNow === false)).toBe(true);

    // One at a time with `after`: the same items; one no longer listed (archived) still marks a place.
    const pageAfter = async (after: string | null) => {
      const result = await app.gql(CATALOG_PAGE, { g: g.id, a: after }, { token: g.publishableKey });
      expect(result.errors).toBeUndefined();
      return result.data.catalog;
    };
    const paged: string[] = [];
    for (let page = await pageAfter(null); page.length > 0; page = await pageAfter(page[0]!.id))
      paged.push(page[0]!.sku);
    expect(paged).toEqual(['always', 'starts-now', 'flash']);
    expect((await pageAfter(archived.id)).map((i) => i.sku)).toEqual(['starts-now']);
    expect((await pageAfter(later.id)).map((i) => i.sku)).toEqual(['starts-now']);

    // The developer sees every item through Game.items; the publishable key only what is on sale.
    const mine = await app.gql(GAME_ITEMS, { id: g.id }, { token: alice.token });
    expect(mine.data.game?.items.edges.map((e) => e.node.sku)).toEqual([
      'always',
      'archived',
      'later',
      'expired',
      'ends-now',
      'starts-now',
      'flash',
    ]);
    const theirs = await app.gql(GAME_ITEMS, { id: g.id }, { token: g.publishableKey });
    expect(theirs.data.game?.items.edges.map((e) => e.node.sku)).toEqual(['always', 'starts-now', 'flash']);

    clock.advance(HOUR); // the flash sale ends as `later` opens
    expect(await skus()).toEqual(['always', 'later', 'starts-now']);
    // An archived item stays readable by id (inventories and past purchases point to it).
    const node = await app.gql(ITEM_SKU_ACTIVE, { id: archived.id }, { token: g.publishableKey });
    expect(node.data.node).toEqual({ sku: 'archived', active: false });
    expect(always.active).toBe(true);
    expect(flash.availableNow).toBe(true);
  });

  it('updates an item: fields change, prices are replaced as a set, null clears optional fields', async () => {
    const item = await createItem(
      alice,
      itemInput(game.id, {
        stock: 10,
        maxPerPlayer: 2,
        description: 'Old',
        prices: [
          { amount: '100', currency: 'USD' },
          { amount: '10', currency: 'GEM' },
        ],
      }),
    );
    const result = await app.gql(
      UPDATE_ITEM,
      {
        input: {
          itemId: item.id,
          name: 'Big potion',
          prices: [{ amount: '150', currency: 'EUR' }],
          stock: null,
          description: null,
        },
      },
      { token: alice.token },
    );
    expect(expectTypename(result.data.updateItem, 'UpdateItemPayload').item).toMatchObject({
      id: item.id,
      sku: item.sku,
      name: 'Big potion',
      description: null,
      stock: null,
      maxPerPlayer: 2,
      prices: [{ amount: '150', currency: 'EUR', formatted: '€1.50' }],
    });
    const prices = await app.database.pool!.query('select currency from item_prices where item_id = $1', [
      rawId(item.id),
    ]);
    expect(prices.rows.map((r) => r.currency)).toEqual(['EUR']);

    const toPack = await app.gql(
      UPDATE_ITEM,
      { input: { itemId: item.id, kind: 'CURRENCY_PACK' } },
      { token: alice.token },
    );
    expect(expectTypename(toPack.data.updateItem, 'ValidationError').fieldErrors[0]?.path).toBe('input.grants');
    const asPack = await app.gql(
      UPDATE_ITEM,
      { input: { itemId: item.id, kind: 'CURRENCY_PACK', grants: { amount: '100', currency: 'GEM' } } },
      { token: alice.token },
    );
    expect(expectTypename(asPack.data.updateItem, 'UpdateItemPayload').item).toMatchObject({
      kind: 'CURRENCY_PACK',
      grants: { amount: '100', currency: 'GEM' },
    });
    const badAmount = await app.gql(
      UPDATE_ITEM,
      { input: { itemId: item.id, prices: [{ amount: '1.50', currency: 'EUR' }] } },
      { token: alice.token },
    );
    expect(expectTypename(badAmount.data.updateItem, 'ValidationError').fieldErrors).toEqual([
      { path: 'input.prices.0.amount', message: expect.any(String) },
    ]);

    const taken = await createItem(alice, itemInput(game.id));
    const clash = await app.gql(UPDATE_ITEM, { input: { itemId: item.id, sku: taken.sku } }, { token: alice.token });
    expect(clash.data.updateItem).toMatchObject({ __typename: 'SkuTaken', sku: taken.sku });
  });

  it("lets a second developer neither see, change, archive nor add items to the first one's game", async () => {
    const item = await createItem(alice, itemInput(game.id));
    const create = await app.gql(CREATE_ITEM, { input: itemInput(game.id) }, { token: bob.token });
    expect(create.data.createItem).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    const update = await app.gql(UPDATE_ITEM, { input: { itemId: item.id, name: 'Hijacked' } }, { token: bob.token });
    expect(update.data.updateItem.__typename).toBe('NotFound');
    const archive = await app.gql(ARCHIVE_ITEM, { input: { itemId: item.id } }, { token: bob.token });
    expect(archive.data.archiveItem.__typename).toBe('NotFound');
    const read = await app.gql(NODE_ID, { id: item.id }, { token: bob.token });
    expect(read.data?.node ?? null).toBeNull();
    const catalog = await app.gql(CATALOG, { gameId: game.id }, { token: bob.token });
    expect(catalog.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const still = await app.gql(ITEM_NAME_ACTIVE, { id: item.id }, { token: alice.token });
    expect(still.data.node).toEqual({ name: 'Health potion', active: true });
  });

  it('reads the catalog with any credential of the game, and refuses others', async () => {
    const item = await createItem(alice, itemInput(game.id));
    const other = await createGame(app, alice);
    const player = await signUpPlayer(app);
    // A game token as authorizeGame would issue it (stored hashed).
    const gameToken = `gt_${randomBytes(32).toString('base64url')}`;
    await app.database.pool!.query(
      `insert into game_authorizations (id, player_id, game_id, one_tap_max_minor, daily_cap_minor, currency, token_hash)
       values ($1, $2, $3, 0, 0, 'USD', $4)`,
      [randomUUID(), rawId(player.id), rawId(game.id), hashToken(app.config.secrets.tokenPepper, gameToken)],
    );
    for (const token of [
      game.publishableKey,
      game.secretKey,
      gameToken,
      alice.token,
      app.config.secrets.operatorToken,
    ]) {
      const result = await app.gql(CATALOG, { gameId: game.id }, { token });
      expect(result.errors, token.slice(0, 3)).toBeUndefined();
      expect(result.data.catalog.map((i) => i.id)).toContain(item.id);
    }
    for (const token of [other.publishableKey, other.secretKey]) {
      const result = await app.gql(CATALOG, { gameId: game.id }, { token });
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    const asPlayer = await app.gql(CATALOG, { gameId: game.id }, { token: player.token });
    expect(asPlayer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await app.gql(CATALOG, { gameId: game.id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const playerWrite = await app.gql(CREATE_ITEM, { input: itemInput(game.id) }, { token: player.token });
    expect(playerWrite.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const keyWrite = await app.gql(CREATE_ITEM, { input: itemInput(game.id) }, { token: game.secretKey });
    expect(keyWrite.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('takes stock atomically for purchases: never below zero under concurrency, and gives it back', async () => {
    const limited = await createItem(alice, itemInput(game.id, { stock: 5 }));
    const unlimited = await createItem(alice, itemInput(game.id));
    const db = app.database.db;
    const id = rawId(limited.id);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => db.transaction((tx) => takeStock(tx, id, 1))),
    );
    const taken = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(taken).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r.reason).toBeInstanceOf(OutOfStockError);
    await expect(takeStock(db, id, 1)).rejects.toMatchObject({ code: 'OUT_OF_STOCK', available: 0 });

    await returnStock(db, id, 2);
    await expect(takeStock(db, id, 3)).rejects.toMatchObject({ available: 2 });
    expect(await takeStock(db, id, 2)).toBe(0);

    expect(await takeStock(db, rawId(unlimited.id), 1000)).toBeNull();
    await returnStock(db, rawId(unlimited.id), 5);
    const item = await getItemForPurchase(db, rawId(game.id), rawId(unlimited.id));
    expect(item).toMatchObject({
      stock: null,
      prices: [{ amountMinor: 499, currency: 'USD' }],
      grants: null,
      kind: 'CONSUMABLE',
    });
    const other = await createGame(app, alice);
    expect(await getItemForPurchase(db, rawId(other.id), rawId(unlimited.id))).toBeNull();
    expect(await getItemForPurchase(db, rawId(game.id), 'not-a-uuid')).toBeNull();
  });

  it('lists item fields for the developer through the node interface', async () => {
    const item = await createItem(
      alice,
      itemInput(game.id, { availableFrom: '2026-05-01T00:00:00Z', availableUntil: '2026-07-01T00:00:00Z' }),
    );
    const read = await app.gql(ITEM_NODE, { id: item.id }, { token: alice.token });
    expect(read.data.node).toEqual(item);
    expect(item).toMatchObject({
      availableFrom: '2026-05-01T00:00:00.000Z',
      availableUntil: '2026-07-01T00:00:00.000Z',
    });
  });
});
