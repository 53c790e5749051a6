import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessCardAdd, assessPurchase } from '../../../src/modules/fraud/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { createTestApp, uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { contextOf, newFingerprint, newPlayer, purchaseOf, dropRedisKeys } from './fixtures.js';
import { publicId } from '../../../src/shared/public-ids.js';
import { decodeId } from '../../helpers/flows.js';
import { expectTypename, graphql, type VariablesOf } from '../../helpers/graphql.js';

const RiskErrorFields = graphql(`
  fragment RiskErrorFields on Error @_unmask { code message ... on ValidationError { fieldErrors { path message } } }
`);
const SettingsFields = graphql(`
  fragment SettingsFields on RiskSettings @_unmask {
    purchasesPerMinute purchasesPerHour declinesToBlock declineBlockSeconds cardsStepUpAt playersPerCardBlockAt
    cardsPerIpBlockAt cardsPerDeviceBlockAt newCardAgeSeconds cardsPerPlayerRefuseAt overridden moneyLoosenFactor
    dailyAmountCaps { amount currency } newCardStepUpAmounts { amount currency }
    bounds { setting min max platformDefault tighter }
  }
`);
const UPDATE = graphql(
  `
  mutation UpdateRiskSettings($input: UpdateRiskSettingsInput!) {
    updateRiskSettings(input: $input) { __typename ... on UpdateRiskSettingsPayload { settings { ...SettingsFields } } ...RiskErrorFields }
  }
`,
  [SettingsFields, RiskErrorFields],
);
const SIGN_UP_DEVELOPER = graphql(`
  mutation RiskSignUpDeveloper($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token } }
  }
`);
const CREATE_GAME = graphql(
  `
  mutation RiskCreateGame($input: CreateGameInput!) {
    createGame(input: $input) { __typename ... on CreateGamePayload { game { id } } ...RiskErrorFields }
  }
`,
  [RiskErrorFields],
);
const RISK_SETTINGS = graphql(`query RiskSettings($id: ID!) { riskSettings(gameId: $id) { ...SettingsFields } }`, [
  SettingsFields,
]);
const RISK_PER_MINUTE = graphql(`query RiskPerMinute($id: ID!) { riskSettings(gameId: $id) { purchasesPerMinute } }`);
const GAME_RISK_PER_MINUTE = graphql(
  `query GameRiskPerMinute($id: ID!) { game(id: $id) { riskSettings { purchasesPerMinute } } }`,
);
const BLOCK = graphql(
  `
  mutation BlockPlayer($input: BlockPlayerInput!) {
    blockPlayer(input: $input) { __typename ... on BlockPlayerPayload { block { reason player { id } } } ...RiskErrorFields }
  }
`,
  [RiskErrorFields],
);
const UNBLOCK = graphql(`
  mutation UnblockPlayer($input: UnblockPlayerInput!) {
    unblockPlayer(input: $input) { __typename ... on UnblockPayload { lifted } }
  }
`);
const BLOCK_CARD = graphql(`
  mutation BlockCardFingerprint($input: BlockCardFingerprintInput!) {
    blockCardFingerprint(input: $input) { __typename ... on BlockCardFingerprintPayload { block { fingerprint reason } } }
  }
`);
const EVENTS = graphql(`
  query RiskEvents($playerId: ID, $decision: RiskDecision, $first: Int, $after: String) {
    riskEvents(playerId: $playerId, decision: $decision, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id kind decision score cardFingerprint rulesFired { rule value threshold } player { id } createdAt } }
    }
  }
`);
type RiskSettingsFields = Omit<VariablesOf<typeof UPDATE>['input'], 'gameId'>;

describe('risk settings and operator tools over GraphQL', () => {
  const clock = new ManualClock();
  let app: TestApp;
  let developerToken: string;
  let otherDeveloperToken: string;
  let gameGid: string;
  let gameId: string;
  let operatorToken: string;

  async function developer(): Promise<string> {
    const signUp = await app.gql(SIGN_UP_DEVELOPER, {
      input: { email: uniqueEmail('risk-dev'), password: 'long-enough-password', name: 'Risk Dev' },
    });
    return expectTypename(signUp.data.signUpDeveloper, 'DeveloperAuthPayload').token;
  }
  const update = (fields: RiskSettingsFields, token = developerToken) =>
    app.gql(UPDATE, { input: { gameId: gameGid, ...fields } }, { token });

  beforeAll(async () => {
    app = await createTestApp({ clock });
    operatorToken = app.config.secrets.operatorToken;
    developerToken = await developer();
    otherDeveloperToken = await developer();
    const created = await app.gql(
      CREATE_GAME,
      { input: { name: 'Risky Game', defaultCurrency: 'USD' } },
      { token: developerToken },
    );
    gameGid = expectTypename(created.data.createGame, 'CreateGamePayload').game.id;
    gameId = decodeId(gameGid);
  });
  afterAll(async () => {
    await dropRedisKeys(app);
    await app?.close();
  });

  describe('updateRiskSettings', () => {
    it('tightens a threshold, and the next assessment for that game uses it', async () => {
      const result = await update({ purchasesPerMinute: 2 });
      expect(expectTypename(result.data.updateRiskSettings, 'UpdateRiskSettingsPayload').settings).toMatchObject({
        purchasesPerMinute: 2,
        purchasesPerHour: 60,
        overridden: ['purchasesPerMinute'],
      });
      const player = await newPlayer(app.deps);
      const ctx = contextOf(app.deps);
      expect((await assessPurchase(ctx, purchaseOf(player, { gameId }))).decision).toBe('ALLOW');
      expect((await assessPurchase(ctx, purchaseOf(player, { gameId }))).decision).toBe('ALLOW');
      const third = await assessPurchase(ctx, purchaseOf(player, { gameId }));
      expect(third.decision).toBe('BLOCK');
      expect(third.rulesFired).toEqual([{ rule: 'purchases_per_minute', value: 3, threshold: 2 }]);
      // another game keeps the platform's 10
      expect((await assessPurchase(ctx, purchaseOf(player))).decision).toBe('ALLOW');
    });

    it('loosens only up to the platform maxima: the maximum is accepted, one beyond it refused', async () => {
      const atMax = await update({
        purchasesPerMinute: 30,
        cardsPerDeviceBlockAt: 10,
        declineBlockSeconds: 1800,
        dailyAmountCaps: [{ amount: '200000', currency: 'USD' }],
      });
      const atMaxSettings = expectTypename(atMax.data.updateRiskSettings, 'UpdateRiskSettingsPayload').settings;
      expect(atMaxSettings).toMatchObject({
        purchasesPerMinute: 30,
        cardsPerDeviceBlockAt: 10,
        declineBlockSeconds: 1800,
      });
      expect(atMaxSettings.dailyAmountCaps).toContainEqual({
        amount: '200000',
        currency: 'USD',
      });
      const beyond = await update({
        purchasesPerMinute: 31,
        cardsPerDeviceBlockAt: 11,
        declineBlockSeconds: 1799,
        playersPerCardBlockAt: 6,
        dailyAmountCaps: [{ amount: '200001', currency: 'USD' }],
      });
      expect(
        expectTypename(beyond.data.updateRiskSettings, 'ValidationError')
          .fieldErrors.map((e) => e.path)
          .sort(),
      ).toEqual([
        'input.cardsPerDeviceBlockAt',
        'input.dailyAmountCaps.0.amount',
        'input.declineBlockSeconds',
        'input.playersPerCardBlockAt',
        'input.purchasesPerMinute',
      ]);
      // nothing of a refused update is applied
      const read = await app.gql(RISK_SETTINGS, { id: gameGid }, { token: developerToken });
      expect(read.data.riskSettings).toMatchObject({
        purchasesPerMinute: 30,
        cardsPerDeviceBlockAt: 10,
        declineBlockSeconds: 1800,
      });
    });

    it('refuses a currency that is not ISO 4217 and the same currency twice', async () => {
      const result = await update({
        dailyAmountCaps: [
          { amount: '100', currency: 'GEMS' },
          { amount: '100', currency: 'EUR' },
          { amount: '100', currency: 'EUR' },
        ],
      });
      expect(expectTypename(result.data.updateRiskSettings, 'ValidationError').fieldErrors.map((e) => e.path)).toEqual([
        'input.dailyAmountCaps.0.currency',
        'input.dailyAmountCaps.2.currency',
      ]);
    });

    it('resets a threshold to the platform default with null and publishes the bounds', async () => {
      const result = await update({
        purchasesPerMinute: null,
        cardsPerDeviceBlockAt: null,
        declineBlockSeconds: null,
        dailyAmountCaps: null,
      });
      const settings = expectTypename(result.data.updateRiskSettings, 'UpdateRiskSettingsPayload').settings;
      expect(settings).toMatchObject({
        purchasesPerMinute: 10,
        cardsPerDeviceBlockAt: 5,
        declineBlockSeconds: 14400,
        overridden: [],
        cardsPerPlayerRefuseAt: 6,
        moneyLoosenFactor: 4,
      });
      expect(settings.dailyAmountCaps).toContainEqual({ amount: '50000', currency: 'USD' });
      expect(settings.bounds).toContainEqual({
        setting: 'purchasesPerMinute',
        min: 1,
        max: 30,
        platformDefault: 10,
        tighter: 'LOWER',
      });
      expect(settings.bounds).toContainEqual({
        setting: 'newCardAgeSeconds',
        min: 300,
        max: 86400,
        platformDefault: 600,
        tighter: 'HIGHER',
      });
    });

    it("answers NotFound for another developer's game, and shows it no settings", async () => {
      const result = await update({ purchasesPerMinute: 1 }, otherDeveloperToken);
      expect(expectTypename(result.data.updateRiskSettings, 'NotFound').code).toBe('NOT_FOUND');
      const read = await app.gql(RISK_PER_MINUTE, { id: gameGid }, { token: otherDeveloperToken });
      expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const own = await app.gql(GAME_RISK_PER_MINUTE, { id: gameGid }, { token: developerToken });
      expect(own.data.game?.riskSettings).toEqual({ purchasesPerMinute: 10 });
    });
  });

  describe('operator tools', () => {
    it('blocks and unblocks a player and a card fingerprint with the operator token only', async () => {
      const player = await newPlayer(app.deps);
      const playerGid = publicId('Player', player);
      const denied = await app.gql(
        BLOCK,
        { input: { playerId: playerGid, reason: 'stolen cards' } },
        { token: developerToken },
      );
      expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const blocked = await app.gql(
        BLOCK,
        { input: { playerId: playerGid, reason: 'stolen cards' } },
        { token: operatorToken },
      );
      expect(expectTypename(blocked.data.blockPlayer, 'BlockPlayerPayload').block).toEqual({
        reason: 'stolen cards',
        player: { id: playerGid },
      });
      expect((await assessPurchase(contextOf(app.deps), purchaseOf(player))).decision).toBe('BLOCK');
      const unblock = await app.gql(UNBLOCK, { input: { playerId: playerGid } }, { token: operatorToken });
      expect(expectTypename(unblock.data.unblockPlayer, 'UnblockPayload').lifted).toBe(true);
      expect((await assessPurchase(contextOf(app.deps), purchaseOf(player))).decision).toBe('ALLOW');

      const fingerprint = newFingerprint();
      const card = await app.gql(
        BLOCK_CARD,
        { input: { fingerprint, reason: 'reported stolen' } },
        { token: operatorToken },
      );
      expect(expectTypename(card.data.blockCardFingerprint, 'BlockCardFingerprintPayload').block).toEqual({
        fingerprint,
        reason: 'reported stolen',
      });
      expect(
        (await assessPurchase(contextOf(app.deps), purchaseOf(player, { cardFingerprint: fingerprint }))).rulesFired[0]
          ?.rule,
      ).toBe('card_blocked');
    });

    it('lists risk events newest first, filtered by player and decision, page by page, for the operator only', async () => {
      const player = await newPlayer(app.deps);
      const ctx = contextOf(app.deps);
      for (let i = 0; i < 3; i++) {
        await assessCardAdd(ctx, { playerId: player, fingerprint: newFingerprint(), ip: null, deviceId: null });
        clock.advance(1000);
      }
      const playerGid = publicId('Player', player);
      const first = await app.gql(EVENTS, { playerId: playerGid, first: 2 }, { token: operatorToken });
      const page1 = first.data.riskEvents;
      expect(page1.edges).toHaveLength(2);
      expect(page1.pageInfo.hasNextPage).toBe(true);
      expect(page1.edges[0]?.node).toMatchObject({ kind: 'CARD_ADD', decision: 'ALLOW', player: { id: playerGid } });
      expect(new Date(page1.edges[0]!.node.createdAt) > new Date(page1.edges[1]!.node.createdAt)).toBe(true);
      const second = await app.gql(
        EVENTS,
        { playerId: playerGid, first: 2, after: page1.pageInfo.endCursor },
        { token: operatorToken },
      );
      expect(second.data.riskEvents.edges).toHaveLength(1);
      expect(second.data.riskEvents.pageInfo.hasNextPage).toBe(false);
      const blocks = await app.gql(EVENTS, { playerId: playerGid, decision: 'BLOCK' }, { token: operatorToken });
      expect(blocks.data.riskEvents.edges).toEqual([]);
      const asDeveloper = await app.gql(EVENTS, { playerId: playerGid }, { token: developerToken });
      expect(asDeveloper.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });
});
