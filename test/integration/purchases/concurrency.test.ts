import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  decodeId,
  setUpGame,
  setUpPlayer,
  walletDocument,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql, isTypename } from '../../helpers/graphql.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';

const ITEM_STOCK = graphql(`
  query ItemStock($id: ID!) { node(id: $id) { __typename ... on Item { stock } } }
`);
const UPDATE_RISK_SETTINGS = graphql(`
  mutation UpdateRiskSettings($input: UpdateRiskSettingsInput!) { updateRiskSettings(input: $input) { __typename } }
`);

describe('purchases under concurrency', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { DATABASE_POOL_SIZE: '30' } });
  });
  afterAll(() => app.close());

  it('sells exactly the 10 left in stock to 50 concurrent buyers, with exactly 10 charges', async () => {
    const game: GameSetup = await setUpGame(app, [{ sku: 'flash', kind: 'CONSUMABLE', price: '199', stock: 10 }]);
    const players = [];
    // Set up in batches: 50 argon2 sign-ups at once would only queue on the 2 cores.
    for (let i = 0; i < 5; i++)
      players.push(...(await Promise.all(Array.from({ length: 10 }, () => setUpPlayer(app, game)))));
    const results = await Promise.all(players.map((p) => buy(app, game, p, game.items.flash!)));
    const answers = results.map((r) => r.data.createPurchase);
    const outcomes = answers.map(
      (a) => a.__typename + ':' + (isTypename(a, 'PurchasePayload') ? a.purchase.status : ''),
    );
    const succeeded = answers
      .filter((a) => isTypename(a, 'PurchasePayload'))
      .filter((a) => a.purchase.status === 'SUCCEEDED');
    expect(succeeded, outcomes.join(',')).toHaveLength(10);
    expect(answers.filter((a) => isTypename(a, 'OutOfStock'))).toHaveLength(40);
    let charges = 0;
    for (const a of succeeded) charges += livingCharges(await chargesFor(app, decodeId(a.purchase.id))).length;
    expect(charges).toBe(10);
    const stock = await app.gql(ITEM_STOCK, { id: game.items.flash!.id }, { token: game.devToken });
    expect(expectTypename(stock.data.node, 'Item').stock).toBe(0);
    await expectLedgerBalanced(app, { gameId: decodeId(game.gameId) });
  }, 180_000);

  it('never spends a wallet below zero under concurrent gem purchases', async () => {
    const game = await setUpGame(app, [
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
      { sku: 'potion', kind: 'CONSUMABLE', price: '70', currency: 'GEM' },
    ]);
    // Wallet purchases pass the velocity rules too: 21 in a minute need the game's highest per-minute limit.
    const raised = await app.gql(
      UPDATE_RISK_SETTINGS,
      { input: { gameId: game.gameId, purchasesPerMinute: 30 } },
      { token: game.devToken },
    );
    expect(raised.data.updateRiskSettings.__typename).toBe('UpdateRiskSettingsPayload');
    const player = await setUpPlayer(app, game);
    const gems = await buy(app, game, player, game.items.gems!);
    expect(expectTypename(gems.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    const results = await Promise.all(Array.from({ length: 20 }, () => buy(app, game, player, game.items.potion!)));
    const answers = results.map((r) => r.data.createPurchase);
    const ok = answers.filter((a) => isTypename(a, 'PurchasePayload')).filter((a) => a.purchase.status === 'SUCCEEDED');
    expect(ok).toHaveLength(7); // floor(500 / 70)
    expect(answers.filter((a) => isTypename(a, 'InsufficientFunds'))).toHaveLength(13);
    const wallet = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(wallet.data.wallet).toEqual([{ amount: '10', currency: 'GEM' }]);
    await expectLedgerBalanced(app, { gameId: decodeId(game.gameId) });
  });

  it('makes one purchase and one charge from 200 concurrent identical requests', async () => {
    const game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => buy(app, game, player, game.items.life!, { key })),
    );
    const ids = new Set<string>();
    for (const r of results) {
      const value = r.data?.createPurchase;
      expect(value, JSON.stringify(r.errors)).toBeDefined();
      expect(['PurchasePayload', 'IdempotencyInProgress']).toContain(value.__typename);
      if (isTypename(value, 'PurchasePayload')) ids.add(value.purchase.id);
    }
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(livingCharges(await chargesFor(app, decodeId(id!)))).toHaveLength(1);
  });
});
