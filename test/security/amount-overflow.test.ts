// Issue 17 finding 2 (first half): a currency pack granting 9,007,199,254,740,991 GEM bought three at
// a time overflowed after the card was charged, leaving the purchase PROCESSING forever. Every amount
// derived from input is now checked before anything is charged, and such an item cannot be created.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GRANT_MINOR } from '../../src/modules/catalog/index.js';
import { buyTyped, decodeId, setUpGame, setUpPlayer, walletDocument, type GameSetup } from '../helpers/flows.js';
import { expectTypename, graphql } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const MAX_SAFE = '9007199254740991';
const CREATE_ITEM = graphql(`
  mutation OverflowCreateItem($input: CreateItemInput!) {
    createItem(input: $input) {
      __typename
      ... on CreateItemPayload { item { id grants { amount } } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { code message }
    }
  }
`);
const UPDATE_ITEM = graphql(`
  mutation OverflowUpdateItem($input: UpdateItemInput!) {
    updateItem(input: $input) {
      __typename
      ... on UpdateItemPayload { item { id grants { amount } } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { code message }
    }
  }
`);

describe('amounts that cannot be represented are refused before any charge', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
    game = await setUpGame(app, [
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
    ]);
  });
  afterAll(() => app.close());

  const pack = (grants: string) => ({
    gameId: game.gameId,
    sku: `pack-${randomUUID().slice(0, 8)}`,
    name: 'Huge pack',
    kind: 'CURRENCY_PACK' as const,
    prices: [{ amount: '499', currency: 'USD' }],
    grants: { amount: grants, currency: 'GEM' },
  });
  const rowsOfSku = async (sku: string) =>
    (await app.database.pool!.query('select 1 from items where sku = $1', [sku])).rowCount;

  it('refuses at createItem and updateItem a grant that 100 packs at once would overflow, naming the field', async () => {
    for (const grants of [MAX_SAFE, String(MAX_GRANT_MINOR + 1)]) {
      const input = pack(grants);
      const res = await app.gql(CREATE_ITEM, { input }, { token: game.devToken });
      expect(res.data.createItem.__typename, grants).toBe('ValidationError');
      expect(expectTypename(res.data.createItem, 'ValidationError').fieldErrors).toEqual([
        { path: 'input.grants.amount', message: expect.stringContaining(`at most ${MAX_GRANT_MINOR}`) },
      ]);
      expect(await rowsOfSku(input.sku)).toBe(0);
    }
    const largest = await app.gql(CREATE_ITEM, { input: pack(String(MAX_GRANT_MINOR)) }, { token: game.devToken });
    expect(expectTypename(largest.data.createItem, 'CreateItemPayload').item.grants?.amount).toBe(
      String(MAX_GRANT_MINOR),
    );

    const raised = await app.gql(
      UPDATE_ITEM,
      { input: { itemId: game.items.gems!.id, grants: { amount: MAX_SAFE, currency: 'GEM' } } },
      { token: game.devToken },
    );
    expect(expectTypename(raised.data.updateItem, 'ValidationError').fieldErrors.map((e) => e.path)).toEqual([
      'input.grants.amount',
    ]);
    const stored = await app.database.pool!.query('select grants_amount_minor from items where id = $1', [
      decodeId(game.items.gems!.id),
    ]);
    expect(Number(stored.rows[0].grants_amount_minor)).toBe(500);
  });

  it('refuses the reproduction (9007199254740991 GEM × 3) before charging, even for an item written around createItem', async () => {
    // The review's item, written straight into the database: createPurchase must hold on its own.
    const legal = await app.gql(CREATE_ITEM, { input: pack('1') }, { token: game.devToken });
    const itemId = expectTypename(legal.data.createItem, 'CreateItemPayload').item.id;
    await app.database.pool!.query('update items set grants_amount_minor = $1 where id = $2', [
      MAX_SAFE,
      decodeId(itemId),
    ]);
    const player = await setUpPlayer(app, game, { oneTapMax: '100000', dailyCap: '100000' });
    const item = { id: itemId, sku: 'huge', price: { amount: '499', currency: 'USD' } };

    const three = await buyTyped(app, game, player, item, { quantity: 3 });
    expect(three.status).toBe(200);
    expect(three.data.createPurchase).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    expect(expectTypename(three.data.createPurchase, 'ValidationError').fieldErrors).toEqual([
      { path: 'input.quantity', message: expect.stringContaining('GEM granted too large') },
    ]);

    // One pack fits on its own, but not on top of a balance: the wallet must stay a safe integer too.
    const one = await buyTyped(app, game, player, item, { quantity: 1 });
    expect(expectTypename(one.data.createPurchase, 'PurchasePayload').purchase).toMatchObject({ status: 'SUCCEEDED' });
    const again = await buyTyped(app, game, player, item, { quantity: 1 });
    expect(expectTypename(again.data.createPurchase, 'ValidationError').fieldErrors[0]?.message).toContain('balance');

    // Nothing but the one that fits was written or charged.
    const purchases = await app.database.pool!.query('select id, status from purchases where player_id = $1', [
      decodeId(player.playerId),
    ]);
    expect(purchases.rows.map((r) => r.status)).toEqual(['SUCCEEDED']);
    const charges = await app.database.pool!.query(
      'select count(*)::int as n from acquirer_charges where idempotency_key = $1 or idempotency_key like $2',
      [purchases.rows[0].id, `${purchases.rows[0].id}:%`],
    );
    expect(charges.rows[0].n).toBe(1);
    const wallet = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(wallet.data.wallet).toEqual([{ amount: MAX_SAFE, currency: 'GEM' }]);
  });
});
