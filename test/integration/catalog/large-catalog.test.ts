import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { print } from 'graphql';
import { graphql, type ResultOf } from '../../helpers/graphql.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { items } from '../../../src/db/schema/index.js';
import { CATALOG_PAGE_MAX } from '../../../src/modules/catalog/index.js';
import { withPrices } from '../../../src/modules/catalog/item-rows.js';
import { createGame, signUpDeveloper, type CreatedGame, type Developer } from './flows.js';
import { publicId } from '../../../src/shared/public-ids.js';
import { decodeId } from '../../helpers/flows.js';

const PAGE = graphql(`
  query CatalogPage($gameId: ID!, $first: Int, $after: ID) { catalog(gameId: $gameId, first: $first, after: $after) { id sku prices { amount } } }
`);
const SKUS = graphql(`query CatalogSkus($gameId: ID!) { catalog(gameId: $gameId) { sku } }`);
type Row = ResultOf<typeof PAGE>['catalog'][number];

// Item g is archived when g % 7 = 0, opens tomorrow when g % 11 = 0 and has closed when g % 13 = 0.
const ITEMS = 1_500;
const onSale = (g: number) => g % 7 !== 0 && g % 11 !== 0 && g % 13 !== 0;

describe('a catalog larger than one answer', () => {
  let app: TestApp;
  let developer: Developer;
  let game: CreatedGame;
  /** The skus on sale, in catalog order (createdAt, then id). */
  let expected: string[];

  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
    developer = await signUpDeveloper(app, 'big');
    game = await createGame(app, developer);
    // Four items per microsecond: ties that only the id orders, and timestamps finer than a JS Date.
    await app.database.pool!.query(
      `with made as (
         insert into items (id, game_id, sku, name, kind, archived_at, available_from, available_until, created_at, updated_at)
         select gen_random_uuid(), $1, 'sku-' || g, 'Item ' || g, 'CONSUMABLE',
                case when g % 7 = 0 then now() end,
                case when g % 11 = 0 then now() + interval '1 day' end,
                case when g % 13 = 0 then now() - interval '1 hour' end,
                now() - interval '1 day' + (g / 4) * interval '1 microsecond', now()
         from generate_series(1, $2::int) g
         returning id, sku)
       insert into item_prices (item_id, currency, amount_minor) select id, 'USD', substr(sku, 5)::bigint from made`,
      [decodeId(game.id), ITEMS],
    );
    const { rows } = await app.database.pool!.query<{ sku: string }>(
      'select sku from items where game_id = $1 order by created_at, id',
      [decodeId(game.id)],
    );
    expected = rows.map((r) => r.sku).filter((sku) => onSale(Number(sku.slice(4))));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  async function page(variables: { first?: number | null; after?: string | null }, token = game.publishableKey) {
    return app.gql(PAGE, { gameId: game.id, ...variables }, { token });
  }

  /** Every page from the start, `first` at a time, until a short one. */
  async function readAll(first: number | undefined): Promise<{ rows: Row[]; pages: number }> {
    const rows: Row[] = [];
    let after: string | undefined;
    for (let pages = 1; ; pages++) {
      const result = await page({ first, after });
      expect(result.errors).toBeUndefined();
      rows.push(...result.data.catalog);
      if (result.data.catalog.length < (first ?? CATALOG_PAGE_MAX)) return { rows, pages };
      after = result.data.catalog.at(-1)!.id;
    }
  }

  it('answers the first 500 items on sale when no size is asked, as the binding query is written', async () => {
    expect(CATALOG_PAGE_MAX).toBe(500);
    expect(expected.length).toBeGreaterThan(2 * CATALOG_PAGE_MAX);
    const result = await app.gql(SKUS, { gameId: game.id }, { token: game.publishableKey });
    expect(result.errors).toBeUndefined();
    expect(result.data.catalog.map((i) => i.sku)).toEqual(expected.slice(0, CATALOG_PAGE_MAX));
    const explicitNull = await page({ first: null, after: null });
    expect(explicitNull.data.catalog.map((i) => i.sku)).toEqual(expected.slice(0, CATALOG_PAGE_MAX));
  });

  it('answers exactly `first` items, from the start or after a given item', async () => {
    const seven = await page({ first: 7 });
    expect(seven.data.catalog.map((i) => i.sku)).toEqual(expected.slice(0, 7));
    const next = await page({ first: 3, after: seven.data.catalog[6]!.id });
    expect(next.data.catalog.map((i) => i.sku)).toEqual(expected.slice(7, 10));
    const all = await page({ first: CATALOG_PAGE_MAX });
    expect(all.data.catalog).toHaveLength(CATALOG_PAGE_MAX);
    const one = await page({ first: 1 });
    expect(one.data.catalog.map((i) => i.sku)).toEqual([expected[0]]);
  });

  it('pages to the end: every item on sale exactly once, in order, each with its own price', async () => {
    for (const first of [undefined, 97]) {
      const { rows, pages } = await readAll(first);
      expect(
        rows.map((i) => i.sku),
        `first: ${first}`,
      ).toEqual(expected);
      expect(new Set(rows.map((i) => i.id)).size).toBe(expected.length);
      expect(pages).toBe(Math.floor(expected.length / (first ?? CATALOG_PAGE_MAX)) + 1);
      expect(rows.every((i) => i.prices.length === 1 && i.prices[0]!.amount === i.sku.slice(4))).toBe(true);
      // Archived, not-yet-open and closed items are in no page.
      expect(rows.some((i) => !onSale(Number(i.sku.slice(4))))).toBe(false);
    }
    // After the last item there is nothing, without an error.
    const past = await page({ first: 5, after: (await readAll(undefined)).rows.at(-1)!.id });
    expect(past.errors).toBeUndefined();
    expect(past.data.catalog).toEqual([]);
  });

  it('keeps its place when the last item of a page is archived or leaves its window meanwhile', async () => {
    const first = await page({ first: 4 });
    const last = first.data.catalog.at(-1)!;
    await app.database.pool!.query('update items set archived_at = now() where id = $1', [decodeId(last.id)]);
    try {
      const next = await page({ first: 4, after: last.id });
      expect(next.errors).toBeUndefined();
      expect(next.data.catalog.map((i) => i.sku)).toEqual(expected.slice(4, 8));
      // An archived or not-yet-open item of the game (never listed) marks a place as well.
      const archived = await app.database.pool!.query<{ id: string }>(
        `select id from items where game_id = $1 and sku = 'sku-7'`,
        [decodeId(game.id)],
      );
      const fromArchived = await page({ first: 2, after: publicId('Item', archived.rows[0]!.id) });
      expect(fromArchived.errors).toBeUndefined();
      expect(fromArchived.data.catalog).toHaveLength(2);
    } finally {
      await app.database.pool!.query('update items set archived_at = null where id = $1', [decodeId(last.id)]);
    }
  });

  it('answers a size out of range or a bad `after` with a typed validation error', async () => {
    for (const first of [0, -1, CATALOG_PAGE_MAX + 1, 100_000, 2 ** 31 - 1]) {
      const result = await page({ first });
      expect(result.data?.catalog ?? null, String(first)).toBeNull();
      expect(result.errors?.[0]?.extensions?.code, String(first)).toBe('VALIDATION_FAILED');
      expect(result.errors?.[0]?.extensions?.fieldErrors, String(first)).toEqual([
        { path: 'first', message: `must be 1 to ${CATALOG_PAGE_MAX}` },
      ]);
    }
    const otherGame = await createGame(app, developer);
    const { rows: otherItems } = await app.database.pool!.query<{ id: string }>(
      `insert into items (id, game_id, sku, name, kind) values (gen_random_uuid(), $1, 'elsewhere', 'Elsewhere', 'CONSUMABLE') returning id`,
      [decodeId(otherGame.id)],
    );
    const bad = [
      'garbage',
      game.id, // a Game id, not an Item id
      'itm_abc',
      publicId('Item', '00000000-0000-4000-8000-000000000000'),
      publicId('Item', otherItems[0]!.id), // another game's item
    ];
    for (const after of bad) {
      const result = await page({ first: 5, after });
      expect(result.errors?.[0]?.extensions?.code, after).toBe('VALIDATION_FAILED');
      expect(result.errors?.[0]?.extensions?.fieldErrors?.[0]?.path, after).toBe('after');
    }
    // Not an integer at all: GraphQL's own variable coercion refuses it before the resolver runs (the
    // document printed to a string: this variable is deliberately not an Int).
    const text = await app.gql(print(PAGE), { gameId: game.id, first: 'ten' }, { token: game.publishableKey });
    expect(text.errors?.[0]?.message).toMatch(/Int cannot represent/);
    expect(text.data?.catalog ?? null).toBeNull();
  });

  it('caps the items of one request over all its catalog fields, so aliases cannot multiply a page', async () => {
    // Strings: documents built at run time with n aliases (up to a thousand, past the request's budget).
    const aliases = (n: number, args = '') =>
      `query ($g: ID!) { ${Array.from({ length: n }, (_, i) => `c${i}: catalog(gameId: $g${args}) { id }`).join(' ')} }`;
    const two = await app.gql(aliases(2), { g: game.id }, { token: game.publishableKey });
    expect(two.errors).toBeUndefined();
    expect([two.data.c0.length, two.data.c1.length]).toEqual([CATALOG_PAGE_MAX, CATALOG_PAGE_MAX]);
    const ten = await app.gql(aliases(10, ', first: 100'), { g: game.id }, { token: game.publishableKey });
    expect(ten.errors).toBeUndefined();
    for (const tooMany of [aliases(3), aliases(11, ', first: 100'), aliases(1_000)]) {
      const result = await app.gql(tooMany, { g: game.id }, { token: game.publishableKey });
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
      expect(result.errors?.[0]?.extensions?.fieldErrors?.[0]).toEqual({
        path: 'first',
        message: `the catalog fields of one request may ask for ${2 * CATALOG_PAGE_MAX} items in all`,
      });
    }
    // The budget is per request: the next one starts afresh.
    expect((await page({})).data.catalog).toHaveLength(CATALOG_PAGE_MAX);
  });

  it('answers what the other credentials may read the same way, page by page', async () => {
    for (const token of [game.secretKey, developer.token, app.config.secrets.operatorToken]) {
      const result = await page({ first: 3 }, token);
      expect(result.errors).toBeUndefined();
      expect(result.data.catalog.map((i) => i.sku)).toEqual(expected.slice(0, 3));
    }
  });
});

// Postgres takes at most 65,535 bind parameters per statement: prices of more rows are read in batches.
describe('prices of more items than one statement can name', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('attaches each of 70,000 items its own price', async () => {
    const game = await createGame(app, await signUpDeveloper(app, 'huge'));
    const gameId = decodeId(game.id);
    await app.database.pool!.query(
      `with made as (
         insert into items (id, game_id, sku, name, kind, created_at, updated_at)
         select gen_random_uuid(), $1, 'sku-' || g, 'Item ' || g, 'CONSUMABLE', now() - interval '1 day' + g * interval '1 millisecond', now()
         from generate_series(1, 70000) g
         returning id, sku)
       insert into item_prices (item_id, currency, amount_minor) select id, 'USD', substr(sku, 5)::bigint from made`,
      [gameId],
    );
    const rows = await app.deps.db.select().from(items).where(eq(items.gameId, gameId));
    const priced = await withPrices(app.deps.db, rows);
    expect(priced).toHaveLength(70_000);
    expect(
      priced.every((item) => item.prices.length === 1 && String(item.prices[0]!.amountMinor) === item.sku.slice(4)),
    ).toBe(true);
  }, 60_000);
});
