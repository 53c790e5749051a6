import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { buyTyped as buy, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';

const PURCHASES = graphql(`query PurchaseIds($g: ID!) { purchases(gameId: $g) { edges { node { id } } } }`);

describe('checks before any charge', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp();
    game = await setUpGame(app, [
      { sku: 'life', kind: 'CONSUMABLE', price: '99' },
      { sku: 'skin', kind: 'DURABLE', price: '299' },
      { sku: 'limited', kind: 'CONSUMABLE', price: '99', maxPerPlayer: 2 },
      { sku: 'shield', kind: 'CONSUMABLE', price: '50', currency: 'GEM' },
    ]);
  });
  afterAll(() => app.close());

  it('answers PriceChanged with the current price when the shown price is stale', async () => {
    const player = await setUpPlayer(app, game);
    const res = await buy(app, game, player, game.items.life!, { price: { amount: '89', currency: 'USD' } });
    expect(expectTypename(res.data.createPurchase, 'PriceChanged').currentPrice).toEqual({
      amount: '99',
      currency: 'USD',
    });
  });

  it('refuses a second DURABLE and purchases beyond maxPerPlayer with LimitReached', async () => {
    const player = await setUpPlayer(app, game);
    const skin = await buy(app, game, player, game.items.skin!);
    expect(expectTypename(skin.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expectTypename((await buy(app, game, player, game.items.skin!)).data.createPurchase, 'LimitReached');
    const two = await buy(app, game, player, game.items.limited!, { quantity: 2, price: game.items.limited!.price });
    expect(expectTypename(two.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expectTypename((await buy(app, game, player, game.items.limited!)).data.createPurchase, 'LimitReached');
  });

  it('answers NoCardOnFile when the player has no card', async () => {
    const player = await setUpPlayer(app, game, { card: null });
    expectTypename((await buy(app, game, player, game.items.life!)).data.createPurchase, 'NoCardOnFile');
  });

  it('answers InsufficientFunds for a gem item with an empty wallet', async () => {
    const player = await setUpPlayer(app, game);
    const res = await buy(app, game, player, game.items.shield!);
    expect(expectTypename(res.data.createPurchase, 'InsufficientFunds').balance).toEqual({
      amount: '0',
      currency: 'GEM',
    });
  });

  it('refuses malformed input with a ValidationError and writes nothing', async () => {
    const player = await setUpPlayer(app, game);
    for (const [price, path] of [
      [{ amount: '0.99', currency: 'USD' }, 'input.expectedPrice.amount'],
      [{ amount: '-99', currency: 'USD' }, 'input.expectedPrice.amount'],
      [{ amount: '99999999999999999999', currency: 'USD' }, 'input.expectedPrice.amount'],
    ] as const) {
      const res = await buy(app, game, player, game.items.life!, { price });
      expect(expectTypename(res.data.createPurchase, 'ValidationError').fieldErrors[0]?.path).toBe(path);
    }
    const badKey = await buy(app, game, player, game.items.life!, { key: '' });
    expectTypename(badKey.data.createPurchase, 'ValidationError');
    const zero = await buy(app, game, player, game.items.life!, { quantity: 0 });
    expectTypename(zero.data.createPurchase, 'ValidationError');
    const list = await app.gql(PURCHASES, { g: game.gameId }, { token: player.gameToken });
    expect(list.data.purchases.edges).toEqual([]);
  });

  it('needs the game token: a player session or the secret key may not create purchases', async () => {
    const player = await setUpPlayer(app, game);
    const asSession = await buy(app, game, { gameToken: player.playerToken }, game.items.life!);
    expect(asSession.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const asServer = await buy(app, game, { gameToken: game.secretKey }, game.items.life!);
    expect(asServer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a gift to a player who has not authorized the game', async () => {
    const buyer = await setUpPlayer(app, game);
    const otherGame = await setUpGame(app, [{ sku: 'x', kind: 'CONSUMABLE', price: '99' }]);
    const stranger = await setUpPlayer(app, otherGame);
    const res = await buy(app, game, buyer, game.items.life!, { giftTo: stranger.playerId });
    expectTypename(res.data.createPurchase, 'NotFound');
  });
});
