import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { buy, decodeId, setUpGame, setUpPlayer, WALLET, type GameSetup } from '../../helpers/flows.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';

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
    const outcomes = results.map(
      (r) => r.data.createPurchase.__typename + ':' + (r.data.createPurchase.purchase?.status ?? ''),
    );
    const succeeded = results.filter((r) => r.data.createPurchase.purchase?.status === 'SUCCEEDED');
    expect(succeeded, outcomes.join(',')).toHaveLength(10);
    expect(results.filter((r) => r.data.createPurchase.__typename === 'OutOfStock')).toHaveLength(40);
    let charges = 0;
    for (const r of succeeded)
      charges += livingCharges(await chargesFor(app, decodeId(r.data.createPurchase.purchase.id))).length;
    expect(charges).toBe(10);
    const stock = await app.gql(
      `query ($id: ID!) { node(id: $id) { ... on Item { stock } } }`,
      { id: game.items.flash!.id },
      { token: game.devToken },
    );
    expect(stock.data.node.stock).toBe(0);
    await expectLedgerBalanced(app, { gameId: decodeId(game.gameId) });
  }, 180_000);

  it('never spends a wallet below zero under concurrent gem purchases', async () => {
    const game = await setUpGame(app, [
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
      { sku: 'potion', kind: 'CONSUMABLE', price: '70', currency: 'GEM' },
    ]);
    // Wallet purchases pass the velocity rules too: 21 in a minute need the game's highest per-minute limit.
    const raised = await app.gql(
      `mutation ($input: UpdateRiskSettingsInput!) { updateRiskSettings(input: $input) { __typename } }`,
      { input: { gameId: game.gameId, purchasesPerMinute: 30 } },
      { token: game.devToken },
    );
    expect(raised.data.updateRiskSettings.__typename).toBe('UpdateRiskSettingsPayload');
    const player = await setUpPlayer(app, game);
    expect((await buy(app, game, player, game.items.gems!)).data.createPurchase.purchase.status).toBe('SUCCEEDED');
    const results = await Promise.all(Array.from({ length: 20 }, () => buy(app, game, player, game.items.potion!)));
    const ok = results.filter((r) => r.data.createPurchase.purchase?.status === 'SUCCEEDED');
    expect(ok).toHaveLength(7); // floor(500 / 70)
    expect(results.filter((r) => r.data.createPurchase.__typename === 'InsufficientFunds')).toHaveLength(13);
    const wallet = await app.gql(WALLET, { gameId: game.gameId }, { token: player.gameToken });
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
      if (value.purchase) ids.add(value.purchase.id);
    }
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(livingCharges(await chargesFor(app, decodeId(id!)))).toHaveLength(1);
  });
});
