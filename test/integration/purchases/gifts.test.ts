import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  decodeId,
  inventoryDocument,
  setUpGame,
  setUpPlayer,
  walletDocument,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql, type VariablesOf } from '../../helpers/graphql.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';

const HISTORY = graphql(`
  query GiftHistory($g: ID!) { purchases(gameId: $g) { edges { node { id isGift player { id } recipient { id } status } } } }
`);
const PAGE = graphql(`
  query HistoryPage($g: ID!, $p: ID, $first: Int, $after: String, $last: Int, $before: String) {
    purchases(gameId: $g, playerId: $p, first: $first, after: $after, last: $last, before: $before) {
      edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`);

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
    const gift = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(gift).toMatchObject({
      status: 'SUCCEEDED',
      isGift: true,
      player: { id: buyer.playerId },
      recipient: { id: friend.playerId },
    });
    expect(livingCharges(await chargesFor(app, decodeId(gift.id)))).toHaveLength(1);

    const friendInventory = await app.gql(inventoryDocument, { gameId: game.gameId }, { token: friend.gameToken });
    expect(friendInventory.data.inventory).toEqual([{ quantity: 1, item: { id: game.items.life!.id, sku: 'life' } }]);
    const buyerInventory = await app.gql(inventoryDocument, { gameId: game.gameId }, { token: buyer.gameToken });
    expect(buyerInventory.data.inventory).toEqual([]);

    for (const who of [buyer, friend]) {
      const history = await app.gql(HISTORY, { g: game.gameId }, { token: who.gameToken });
      expect(history.data.purchases.edges.map((e) => e.node.id)).toContain(gift.id);
    }
  });

  it('pages a player history of bought and received purchases, newest first, both ways, without repeats', async () => {
    const alice = await setUpPlayer(app, game, { oneTapMax: '1000', dailyCap: '100000' });
    const bob = await setUpPlayer(app, game, { oneTapMax: '1000', dailyCap: '100000' });
    const made: { id: string; by: string; to: string }[] = [];
    const steps: [typeof alice, typeof alice | null][] = [
      [alice, null],
      [bob, alice],
      [alice, bob],
      [alice, null],
      [bob, alice],
      [bob, null],
      [alice, null],
    ];
    for (const [buyer, friend] of steps) {
      const res = await buy(app, game, buyer, game.items.life!, friend ? { giftTo: friend.playerId } : {});
      made.push({
        id: expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.id,
        by: buyer.playerId,
        to: (friend ?? buyer).playerId,
      });
    }
    const readAll = async (token: string, p: string | null, direction: 'forward' | 'backward') => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const vars: VariablesOf<typeof PAGE> =
          direction === 'forward'
            ? { g: game.gameId, p, first: 2, after: cursor }
            : { g: game.gameId, p, last: 2, before: cursor };
        const res = await app.gql(PAGE, vars, { token });
        expect(res.errors).toBeUndefined();
        const info = res.data.purchases.pageInfo;
        const ids = res.data.purchases.edges.map((e) => e.node.id);
        if (direction === 'forward') seen.push(...ids);
        else seen.unshift(...ids);
        if (!(direction === 'forward' ? info.hasNextPage : info.hasPreviousPage)) return seen;
        cursor = direction === 'forward' ? info.endCursor : info.startCursor;
      }
      throw new Error('more pages than purchases');
    };
    const expected = (playerId: string) =>
      made
        .filter((m) => m.by === playerId || m.to === playerId)
        .map((m) => m.id)
        .reverse();
    for (const who of [alice, bob]) {
      const want = expected(who.playerId);
      expect(want.length).toBeGreaterThan(2);
      expect(await readAll(who.gameToken, null, 'forward')).toEqual(want);
      expect(await readAll(who.gameToken, null, 'backward')).toEqual(want);
      // the game's secret key reads one player's history the same way
      expect(await readAll(game.secretKey, who.playerId, 'forward')).toEqual(want);
    }
  });

  it('credits a gifted currency pack to the friend’s wallet', async () => {
    const buyer = await setUpPlayer(app, game);
    const friend = await setUpPlayer(app, game, { card: null });
    await buy(app, game, buyer, game.items.gems!, { giftTo: friend.playerId });
    expect((await app.gql(walletDocument, { gameId: game.gameId }, { token: friend.gameToken })).data.wallet).toEqual([
      { amount: '500', currency: 'GEM' },
    ]);
    expect((await app.gql(walletDocument, { gameId: game.gameId }, { token: buyer.gameToken })).data.wallet).toEqual([
      { amount: '0', currency: 'GEM' },
    ]);
  });
});
