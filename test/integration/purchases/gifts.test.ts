import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { buy, decodeId, INVENTORY, setUpGame, setUpPlayer, WALLET, type GameSetup } from '../../helpers/flows.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';

const HISTORY = /* GraphQL */ `query ($g: ID!) { purchases(gameId: $g) { edges { node { id isGift player { id } recipient { id } status } } } }`;

describe('gifts', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp();
    game = await setUpGame(app);
  });
  afterAll(() => app.close());

  it('charges the buyer, delivers to the friend, and shows it in both histories', async () => {
    const buyer = await setUpPlayer(app, game);
    const friend = await setUpPlayer(app, game, { card: null });
    const res = await buy(app, game, buyer, game.items.life!, { giftTo: friend.playerId });
    const gift = res.data.createPurchase.purchase;
    expect(gift).toMatchObject({ status: 'SUCCEEDED', isGift: true, player: { id: buyer.playerId }, recipient: { id: friend.playerId } });
    expect(livingCharges(await chargesFor(app, decodeId(gift.id)))).toHaveLength(1);

    const friendInventory = await app.gql(INVENTORY, { gameId: game.gameId }, { token: friend.gameToken });
    expect(friendInventory.data.inventory).toEqual([{ quantity: 1, item: { id: game.items.life!.id, sku: 'life' } }]);
    const buyerInventory = await app.gql(INVENTORY, { gameId: game.gameId }, { token: buyer.gameToken });
    expect(buyerInventory.data.inventory).toEqual([]);

    for (const who of [buyer, friend]) {
      const history = await app.gql(HISTORY, { g: game.gameId }, { token: who.gameToken });
      expect(history.data.purchases.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(gift.id);
    }
  });

  it('credits a gifted currency pack to the friend’s wallet', async () => {
    const buyer = await setUpPlayer(app, game);
    const friend = await setUpPlayer(app, game, { card: null });
    await buy(app, game, buyer, game.items.gems!, { giftTo: friend.playerId });
    expect((await app.gql(WALLET, { gameId: game.gameId }, { token: friend.gameToken })).data.wallet).toEqual([{ amount: '500', currency: 'GEM' }]);
    expect((await app.gql(WALLET, { gameId: game.gameId }, { token: buyer.gameToken })).data.wallet).toEqual([{ amount: '0', currency: 'GEM' }]);
  });
});
