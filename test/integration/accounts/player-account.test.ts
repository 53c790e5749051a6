// What the account page needs beyond the existing verbs: the history across games, and signing out everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buy, INVENTORY, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const HISTORY = /* GraphQL */ `
  query ($first: Int, $after: String) {
    viewer { purchases(first: $first, after: $after) {
      edges { node { id isGift status receipt game { id } player { id } recipient { id } } }
      pageInfo { hasNextPage endCursor }
    } }
  }
`;
const VIEWER = /* GraphQL */ `query { viewer { kind player { id } } }`;
const LOG_IN = /* GraphQL */ `
  mutation ($input: LogInInput!) { logInPlayer(input: $input) { __typename ... on PlayerAuthPayload { token } } }
`;

describe("the player's account", () => {
  let app: TestApp;
  let first: GameSetup;
  let second: GameSetup;
  beforeAll(async () => {
    app = await createTestApp();
    first = await setUpGame(app);
    second = await setUpGame(app);
  });
  afterAll(() => app.close());

  it('lists purchases across every game, gifts sent and received, newest first, a page at a time', async () => {
    const me = await setUpPlayer(app, first);
    const friend = await setUpPlayer(app, first);
    const meInSecond = await app.gql(
      `mutation ($input: AuthorizeGameInput!) { authorizeGame(input: $input) { ... on AuthorizeGamePayload { gameToken } } }`,
      {
        input: {
          gameId: second.gameId,
          oneTapMax: { amount: '1000', currency: 'USD' },
          dailyCap: { amount: '10000', currency: 'USD' },
        },
      },
      { token: me.playerToken },
    );
    const secondToken = meInSecond.data.authorizeGame.gameToken as string;
    const a = (await buy(app, first, me, first.items.life!)).data.createPurchase.purchase.id;
    const b = (await buy(app, second, { gameToken: secondToken }, second.items.life!)).data.createPurchase.purchase.id;
    const sent = (await buy(app, first, me, first.items.life!, { giftTo: friend.playerId })).data.createPurchase
      .purchase.id;
    const received = (await buy(app, first, friend, first.items.life!, { giftTo: me.playerId })).data.createPurchase
      .purchase.id;
    const theirs = (await buy(app, first, friend, first.items.life!)).data.createPurchase.purchase.id;

    const all = await app.gql(HISTORY, { first: 10 }, { token: me.playerToken });
    expect(all.errors).toBeUndefined();
    const nodes = all.data.viewer.purchases.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.id)).toEqual([received, sent, b, a]);
    expect(nodes.map((n: any) => n.game.id)).toEqual([first.gameId, first.gameId, second.gameId, first.gameId]);
    expect(nodes.every((n: any) => n.status === 'SUCCEEDED' && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(n.receipt))).toBe(true);
    expect(nodes[0]).toMatchObject({ isGift: true, player: { id: friend.playerId }, recipient: { id: me.playerId } });
    expect(nodes.map((n: any) => n.id)).not.toContain(theirs);

    const page1 = await app.gql(HISTORY, { first: 3 }, { token: me.playerToken });
    expect(page1.data.viewer.purchases.pageInfo.hasNextPage).toBe(true);
    const page2 = await app.gql(
      HISTORY,
      { first: 3, after: page1.data.viewer.purchases.pageInfo.endCursor },
      { token: me.playerToken },
    );
    expect(page2.data.viewer.purchases.edges.map((e: any) => e.node.id)).toEqual([a]);
  });

  it("is the player's session only: a game token cannot read the history across games", async () => {
    const me = await setUpPlayer(app, first);
    const res = await app.gql(HISTORY, { first: 5 }, { token: me.gameToken });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('signs out of every device at once, and leaves the games connected', async () => {
    const signUp = await app.gql(
      `mutation ($input: SignUpPlayerInput!) { signUpPlayer(input: $input) { ... on PlayerAuthPayload { token } } }`,
      { input: { email: `everywhere-${Date.now()}@example.test`, password: 'player-password', displayName: 'Pat' } },
    );
    const phone = signUp.data.signUpPlayer.token as string;
    const email = (await app.gql(`query { viewer { player { email } } }`, {}, { token: phone })).data.viewer.player
      .email as string;
    const laptop = (await app.gql(LOG_IN, { input: { email, password: 'player-password' } })).data.logInPlayer
      .token as string;
    const auth = await app.gql(
      `mutation ($input: AuthorizeGameInput!) { authorizeGame(input: $input) { ... on AuthorizeGamePayload { gameToken } } }`,
      {
        input: {
          gameId: first.gameId,
          oneTapMax: { amount: '0', currency: 'USD' },
          dailyCap: { amount: '0', currency: 'USD' },
        },
      },
      { token: phone },
    );
    const gameToken = auth.data.authorizeGame.gameToken as string;
    expect((await app.gql(VIEWER, {}, { token: laptop })).data.viewer.kind).toBe('PLAYER');

    const out = await app.gql(`mutation { logOutEverywhere }`, {}, { token: phone });
    expect(out.data.logOutEverywhere).toBe(2);
    for (const token of [phone, laptop]) {
      const after = await app.gql(VIEWER, {}, { token });
      expect(after.errors?.[0]?.extensions?.code ?? after.data?.viewer?.kind).toMatch(/UNAUTHENTICATED|ANONYMOUS/);
    }
    const game = await app.gql(INVENTORY, { gameId: first.gameId }, { token: gameToken });
    expect(game.errors).toBeUndefined();
  });
});
