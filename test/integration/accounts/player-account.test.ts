// What the account page needs beyond the existing verbs: the history across games, and signing out everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buyTyped, inventoryDocument, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const HISTORY = graphql(`
  query AccountHistory($first: Int, $after: String) {
    viewer { purchases(first: $first, after: $after) {
      edges { node { id isGift status receipt game { id } player { id } recipient { id } } }
      pageInfo { hasNextPage endCursor }
    } }
  }
`);
const VIEWER = graphql(`query PlayerViewer { viewer { kind player { id } } }`);
const VIEWER_EMAIL = graphql(`query PlayerEmail { viewer { player { email } } }`);
const LOG_IN = graphql(`
  mutation LogInPlayer($input: LogInInput!) { logInPlayer(input: $input) { __typename ... on PlayerAuthPayload { token } } }
`);
const SIGN_UP = graphql(`
  mutation SignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token } }
  }
`);
const AUTHORIZE_GAME = graphql(`
  mutation AuthorizeGame($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) { __typename ... on AuthorizeGamePayload { gameToken } }
  }
`);
const LOG_OUT_EVERYWHERE = graphql(`mutation LogOutEverywhere { logOutEverywhere }`);

/** Authorizes a game for the player's session; returns the game token a direct authorization carries. */
async function authorize(app: TestApp, token: string, gameId: string, oneTapMax: string, dailyCap: string) {
  const res = await app.gql(
    AUTHORIZE_GAME,
    {
      input: {
        gameId,
        oneTapMax: { amount: oneTapMax, currency: 'USD' },
        dailyCap: { amount: dailyCap, currency: 'USD' },
      },
    },
    { token },
  );
  const { gameToken } = expectTypename(res.data.authorizeGame, 'AuthorizeGamePayload');
  if (gameToken === null) throw new Error('authorizeGame answered without a game token');
  return gameToken;
}

/** The id of the purchase a createPurchase answer must carry. */
const purchaseId = (res: Awaited<ReturnType<typeof buyTyped>>) =>
  expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.id;

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
    const secondToken = await authorize(app, me.playerToken, second.gameId, '1000', '10000');
    const a = purchaseId(await buyTyped(app, first, me, first.items.life!));
    const b = purchaseId(await buyTyped(app, second, { gameToken: secondToken }, second.items.life!));
    const sent = purchaseId(await buyTyped(app, first, me, first.items.life!, { giftTo: friend.playerId }));
    const received = purchaseId(await buyTyped(app, first, friend, first.items.life!, { giftTo: me.playerId }));
    const theirs = purchaseId(await buyTyped(app, first, friend, first.items.life!));

    const all = await app.gql(HISTORY, { first: 10 }, { token: me.playerToken });
    expect(all.errors).toBeUndefined();
    const nodes = all.data.viewer.purchases.edges.map((e) => e.node);
    expect(nodes.map((n) => n.id)).toEqual([received, sent, b, a]);
    expect(nodes.map((n) => n.game.id)).toEqual([first.gameId, first.gameId, second.gameId, first.gameId]);
    expect(nodes.every((n) => n.status === 'SUCCEEDED' && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(n.receipt ?? ''))).toBe(true);
    expect(nodes[0]).toMatchObject({ isGift: true, player: { id: friend.playerId }, recipient: { id: me.playerId } });
    expect(nodes.map((n) => n.id)).not.toContain(theirs);

    const page1 = await app.gql(HISTORY, { first: 3 }, { token: me.playerToken });
    expect(page1.data.viewer.purchases.pageInfo.hasNextPage).toBe(true);
    const page2 = await app.gql(
      HISTORY,
      { first: 3, after: page1.data.viewer.purchases.pageInfo.endCursor },
      { token: me.playerToken },
    );
    expect(page2.data.viewer.purchases.edges.map((e) => e.node.id)).toEqual([a]);
  });

  it("is the player's session only: a game token cannot read the history across games", async () => {
    const me = await setUpPlayer(app, first);
    const res = await app.gql(HISTORY, { first: 5 }, { token: me.gameToken });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('signs out of every device at once, and leaves the games connected', async () => {
    const signUp = await app.gql(SIGN_UP, {
      input: { email: `everywhere-${Date.now()}@example.test`, password: 'player-password', displayName: 'Pat' },
    });
    const phone = expectTypename(signUp.data.signUpPlayer, 'PlayerAuthPayload').token;
    const email = (await app.gql(VIEWER_EMAIL, {}, { token: phone })).data.viewer.player?.email;
    if (typeof email !== 'string') throw new Error('the player session reads no player');
    const laptop = expectTypename(
      (await app.gql(LOG_IN, { input: { email, password: 'player-password' } })).data.logInPlayer,
      'PlayerAuthPayload',
    ).token;
    const gameToken = await authorize(app, phone, first.gameId, '0', '0');
    expect((await app.gql(VIEWER, {}, { token: laptop })).data.viewer.kind).toBe('PLAYER');

    const out = await app.gql(LOG_OUT_EVERYWHERE, {}, { token: phone });
    expect(out.data.logOutEverywhere).toBe(2);
    for (const token of [phone, laptop]) {
      const after = await app.gql(VIEWER, {}, { token });
      expect(after.errors?.[0]?.extensions?.code ?? after.data?.viewer?.kind).toMatch(/UNAUTHENTICATED|ANONYMOUS/);
    }
    const game = await app.gql(inventoryDocument, { gameId: first.gameId }, { token: gameToken });
    expect(game.errors).toBeUndefined();
  });
});
