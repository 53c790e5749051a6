import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { buy, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';

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
    expect(res.data.createPurchase).toMatchObject({
      __typename: 'PriceChanged',
      currentPrice: { amount: '99', currency: 'USD' },
    });
  });

  it('refuses a second DURABLE and purchases beyond maxPerPlayer with LimitReached', async () => {
    const player = await setUpPlayer(app, game);
    expect((await buy(app, game, player, game.items.skin!)).data.createPurchase.purchase.status).toBe('SUCCEEDED');
    expect((await buy(app, game, player, game.items.skin!)).data.createPurchase.__typename).toBe('LimitReached');
    expect(
      (await buy(app, game, player, game.items.limited!, { quantity: 2, price: game.items.limited!.price })).data
        .createPurchase.purchase.status,
    ).toBe('SUCCEEDED');
    expect((await buy(app, game, player, game.items.limited!)).data.createPurchase.__typename).toBe('LimitReached');
  });

  it('answers NoCardOnFile when the player has no card', async () => {
    const player = await setUpPlayer(app, game, { card: null });
    expect((await buy(app, game, player, game.items.life!)).data.createPurchase.__typename).toBe('NoCardOnFile');
  });

  it('answers InsufficientFunds for a gem item with an empty wallet', async () => {
    const player = await setUpPlayer(app, game);
    expect((await buy(app, game, player, game.items.shield!)).data.createPurchase).toMatchObject({
      __typename: 'InsufficientFunds',
      balance: { amount: '0', currency: 'GEM' },
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
      expect(res.data.createPurchase.__typename).toBe('ValidationError');
      expect(res.data.createPurchase.fieldErrors[0].path).toBe(path);
    }
    const badKey = await buy(app, game, player, game.items.life!, { key: '' });
    expect(badKey.data.createPurchase.__typename).toBe('ValidationError');
    const zero = await buy(app, game, player, game.items.life!, { quantity: 0 });
    expect(zero.data.createPurchase.__typename).toBe('ValidationError');
    const list = await app.gql(
      `query ($g: ID!) { purchases(gameId: $g) { edges { node { id } } } }`,
      { g: game.gameId },
      { token: player.gameToken },
    );
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
    expect(res.data.createPurchase.__typename).toBe('NotFound');
  });
});
