// Issue 17, items 9 and 10, replayed against the API: an anonymous node(id:) read any player's display
// name; a gift's recipient read the buyer's card and risk details; game clients read fraud thresholds.
// After: a Player is read by the player, the games they authorized and operators (and the other party
// of a gift); the recipient sees what was given and by whom, not the card or the risk; rule values
// and thresholds are for the game's developer, its secret key and operators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buyTyped, setUpGame, setUpPlayer, type GameSetup, type PlayerSetup } from '../helpers/flows.js';
import { expectTypename, graphql } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const NODE = graphql(`query PlayerNode($id: ID!) { node(id: $id) { __typename ... on Player { id displayName } } }`);
const PURCHASE = graphql(`query SeenPurchase($id: ID!) { purchase(id: $id) {
  id isGift item { sku } quantity player { id displayName } recipient { id displayName }
  card { brand last4 } risk { decision score rulesFired { rule value threshold } } } }`);
const RISK_SETTINGS = graphql(`query SeenRiskSettings($g: ID!) { riskSettings(gameId: $g) { purchasesPerMinute } }`);
const GAME_RISK_SETTINGS = graphql(
  `query SeenGameRiskSettings($g: ID!) { game(id: $g) { riskSettings { purchasesPerMinute } } }`,
);
const UPDATE_RISK_SETTINGS = graphql(`
  mutation SeenUpdateRiskSettings($input: UpdateRiskSettingsInput!) { updateRiskSettings(input: $input) { __typename } }
`);
const HISTORY = graphql(`
  query SeenHistory($g: ID!, $p: ID) {
    purchases(gameId: $g, playerId: $p) { edges { node { id risk { rulesFired { rule value threshold } } } } }
  }
`);

describe('who sees a player, a gift and a fraud decision', () => {
  let app: TestApp;
  let game: GameSetup;
  let otherGame: GameSetup;
  let buyer: PlayerSetup;
  let friend: PlayerSetup;
  let stranger: PlayerSetup;
  let giftId: string;
  const operatorToken = 'op_test-operator-token-test-operator-token-01';

  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false', WEBHOOK_DISPATCHER: 'off' } });
    game = await setUpGame(app);
    otherGame = await setUpGame(app);
    buyer = await setUpPlayer(app, game);
    friend = await setUpPlayer(app, game, { card: null });
    stranger = await setUpPlayer(app, otherGame);
    const res = await buyTyped(app, game, buyer, game.items.life!, { giftTo: friend.playerId });
    expect(res.errors).toBeUndefined();
    giftId = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.id;
  }, 60_000);
  afterAll(() => app?.close());

  async function readPlayer(id: string, token: string | null) {
    const res = await app.gql(NODE, { id }, { token });
    expect(res.status).toBeLessThan(500);
    return res;
  }

  describe('a Player node', () => {
    it('is not read anonymously, nor with a publishable key, nor by another game, its developer or player', async () => {
      for (const token of [
        null,
        game.publishableKey,
        otherGame.secretKey,
        otherGame.devToken,
        stranger.playerToken,
        stranger.gameToken,
      ]) {
        const res = await readPlayer(buyer.playerId, token);
        expect(res.data?.node ?? null, String(token)).toBeNull();
        // the same answer as for an id that does not exist: NotFound, nothing about the player
        expect(res.errors?.[0]?.extensions?.code, String(token)).toBe('NOT_FOUND');
        expect(res.text).not.toContain('Player"');
      }
    });

    it('is read by the player, the game they authorized (token, secret key, developer) and operators', async () => {
      for (const token of [
        buyer.playerToken,
        buyer.gameToken,
        friend.gameToken,
        game.secretKey,
        game.devToken,
        operatorToken,
      ]) {
        const res = await readPlayer(buyer.playerId, token);
        expect(res.data.node, String(token)).toMatchObject({ __typename: 'Player', id: buyer.playerId });
      }
    });

    it('is read by the other party of a gift, not by a player who shares no purchase', async () => {
      expect((await readPlayer(buyer.playerId, friend.playerToken)).data.node).toMatchObject({ id: buyer.playerId });
      expect((await readPlayer(friend.playerId, buyer.playerToken)).data.node).toMatchObject({ id: friend.playerId });
      const bystander = await setUpPlayer(app, game, { card: null });
      expect((await readPlayer(buyer.playerId, bystander.playerToken)).data?.node ?? null).toBeNull();
    });
  });

  describe('a gift', () => {
    it("shows its recipient what was given and by whom, never the buyer's card or risk", async () => {
      for (const token of [friend.playerToken, friend.gameToken]) {
        const res = await app.gql(PURCHASE, { id: giftId }, { token });
        expect(res.errors, res.text).toBeUndefined();
        expect(res.data.purchase).toMatchObject({
          isGift: true,
          item: { sku: 'life' },
          quantity: 1,
          player: { id: buyer.playerId, displayName: 'Player' },
          recipient: { id: friend.playerId },
          card: null,
          risk: null,
        });
      }
    });

    it("shows the buyer their card and the decision, without the rules' values or thresholds", async () => {
      for (const token of [buyer.playerToken, buyer.gameToken]) {
        const res = await app.gql(PURCHASE, { id: giftId }, { token });
        expect(res.errors, res.text).toBeUndefined();
        const { card, risk } = res.data.purchase!;
        expect(card).toMatchObject({ last4: expect.stringMatching(/^\d{4}$/) });
        expect(risk?.decision).toBe('ALLOW');
        for (const hit of risk!.rulesFired) expect(hit).toMatchObject({ value: null, threshold: null });
      }
    });
  });

  describe("a game's fraud thresholds", () => {
    it('are read by the developer, the secret key and operators', async () => {
      for (const token of [game.devToken, game.secretKey, operatorToken]) {
        const res = await app.gql(RISK_SETTINGS, { g: game.gameId }, { token });
        expect(res.errors, `${token}: ${res.text}`).toBeUndefined();
        expect(res.data.riskSettings?.purchasesPerMinute).toBeGreaterThan(0);
      }
    });

    it('are refused to game clients (game token, publishable key) and to players, there and on the game', async () => {
      for (const token of [buyer.gameToken, game.publishableKey, buyer.playerToken]) {
        const res = await app.gql(RISK_SETTINGS, { g: game.gameId }, { token });
        expect(res.data?.riskSettings ?? null, token).toBeNull();
        expect(['NOT_FOUND', 'FORBIDDEN']).toContain(res.errors?.[0]?.extensions?.code);
        const onGame = await app.gql(GAME_RISK_SETTINGS, { g: game.gameId }, { token });
        expect(onGame.data?.game?.riskSettings ?? null, token).toBeNull();
      }
    });

    it('show in a fired rule only to the developer, the secret key and operators', async () => {
      // a purchase whose rules fired: many purchases in a minute past the game's threshold
      await app.gql(
        UPDATE_RISK_SETTINGS,
        { input: { gameId: game.gameId, purchasesPerMinute: 1 } },
        { token: game.devToken },
      );
      const rapid = await setUpPlayer(app, game);
      await buyTyped(app, game, rapid, game.items.life!);
      await buyTyped(app, game, rapid, game.items.life!);
      // the second carries the rule (or was refused, RiskBlocked naming the rule only): find it in the history
      const history = await app.gql(HISTORY, { g: game.gameId, p: rapid.playerId }, { token: game.secretKey });
      const fired = history.data.purchases.edges.map((e) => e.node).find((n) => (n.risk?.rulesFired.length ?? 0) > 0);
      expect(fired, history.text).toBeDefined();
      expect(fired!.risk?.rulesFired[0]).toMatchObject({ value: expect.any(Number), threshold: expect.any(Number) });
      const asClient = await app.gql(PURCHASE, { id: fired!.id }, { token: rapid.gameToken });
      expect(asClient.data.purchase?.risk?.rulesFired.length).toBeGreaterThan(0);
      for (const hit of asClient.data.purchase!.risk!.rulesFired)
        expect(hit).toMatchObject({ value: null, threshold: null });
    });
  });
});
