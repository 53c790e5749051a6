import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { createTestApp, type GqlResponse, type TestApp } from '../../helpers/test-app.js';
import { createGame, signUpDeveloper, type Developer } from '../catalog/flows.js';
import { getActiveAuthorization } from '../../../src/modules/authorizations/index.js';
import {
  ADD_CARD,
  addCard,
  AUTHORIZATIONS,
  AUTHORIZE_GAME,
  authorizeGame,
  CARD_NODE,
  cardInput,
  CARDS,
  PREFILL,
  rawId,
  REMOVE_CARD,
  REVOKE_AUTHORIZATION,
  SET_DEFAULT_CARD,
  signUpPlayer,
  TEST_CARDS,
  UPDATE_AUTHORIZATION,
} from './flows.js';
import { publicId } from '../../../src/shared/public-ids.js';

let app: TestApp;
let developer: Developer;
beforeAll(async () => {
  app = await createTestApp();
  developer = await signUpDeveloper(app, 'auth');
});
afterAll(() => app?.close());

const money = (amount: string, currency = 'USD') => ({ amount, currency });
const AUTH_NODE = graphql(
  `query AuthorizationNode($id: ID!) { node(id: $id) { __typename ... on GameAuthorization { id } } }`,
);
const GAME_VIEWER = graphql(`query GameTokenViewer { viewer { kind player { id email } } }`);
const AUTHORIZATIONS_FIRST = graphql(`
  query AuthorizationsFirst {
    viewer { authorizations(first: 1) { edges { cursor node { game { name } } } pageInfo { hasNextPage endCursor } } }
  }
`);
const AUTHORIZATIONS_AFTER = graphql(`
  query AuthorizationsAfter($after: String) {
    viewer { authorizations(first: 5, after: $after) { edges { node { game { name } } } } }
  }
`);
const DEFAULT_CARD_LAST4 = graphql(`query DefaultCardLast4 { viewer { defaultCard { last4 } } }`);

describe('authorizeGame', () => {
  it('returns the authorization and a game token that acts for the player in that game', async () => {
    const player = await signUpPlayer(app, 'Tap Hero');
    const game = await createGame(app, developer, { name: 'Dungeon Tapper' });
    const { gameToken, authorization } = await authorizeGame(app, player.token, game.id, '500', '2000');
    expect(gameToken).toMatch(/^gt_[A-Za-z0-9_-]{43}$/);
    expect(authorization).toMatchObject({
      game: { id: game.id, name: 'Dungeon Tapper' },
      oneTapMax: { amount: '500', currency: 'USD', formatted: '$5.00' },
      dailyCap: { amount: '2000', currency: 'USD' },
      revokedAt: null,
    });

    const viewer = await app.gql(GAME_VIEWER, {}, { token: gameToken });
    expect(viewer.data.viewer).toEqual({ kind: 'PLAYER_GAME', player: { id: player.globalId, email: null } });

    const active = await getActiveAuthorization(app.database.db, player.id, rawId(game.id));
    expect(active).toMatchObject({
      id: rawId(authorization.id),
      oneTapMax: { amountMinor: 500, currency: 'USD' },
      dailyCap: { amountMinor: 2000 },
    });
    expect(await getActiveAuthorization(app.database.db, player.id, randomUUID())).toBeNull();
  });

  it('accepts zero ("always ask") and refuses bad allowances with a ValidationError per field', async () => {
    const player = await signUpPlayer(app);
    const game = await createGame(app, developer);
    const zero = await authorizeGame(app, player.token, game.id, '0', '0');
    expect(zero.authorization.oneTapMax.amount).toBe('0');

    const bad: [ReturnType<typeof money>, ReturnType<typeof money>, string][] = [
      [money('2001'), money('2000'), 'input.oneTapMax.amount'],
      [money('500'), money('2000', 'EUR'), 'input.dailyCap.currency'],
      [money('500', 'GEM'), money('2000', 'GEM'), 'input.oneTapMax.currency'],
      [money('-1'), money('2000'), 'input.oneTapMax.amount'],
      [money('4.99'), money('2000'), 'input.oneTapMax.amount'],
      [money('500'), money('99999999999999999'), 'input.dailyCap.amount'],
      [money('500'), money(''), 'input.dailyCap.amount'],
    ];
    for (const [oneTapMax, dailyCap, path] of bad) {
      const result = await app.gql(
        AUTHORIZE_GAME,
        { input: { gameId: game.id, oneTapMax, dailyCap } },
        { token: player.token },
      );
      expect(result.data.authorizeGame.__typename, JSON.stringify({ oneTapMax, dailyCap })).toBe('ValidationError');
      expect(expectTypename(result.data.authorizeGame, 'ValidationError').fieldErrors.map((e) => e.path)).toContain(
        path,
      );
    }
    // The zero allowance is untouched by the refused attempts.
    expect((await getActiveAuthorization(app.database.db, player.id, rawId(game.id)))?.dailyCap.amountMinor).toBe(0);
  });

  it('answers an unknown game with NotFound and a malformed id with a ValidationError', async () => {
    const player = await signUpPlayer(app);
    const unknown = await app.gql(
      AUTHORIZE_GAME,
      { input: { gameId: publicId('Game', randomUUID()), oneTapMax: money('1'), dailyCap: money('1') } },
      { token: player.token },
    );
    expect(unknown.data.authorizeGame).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    const malformed = await app.gql(
      AUTHORIZE_GAME,
      { input: { gameId: 'nope', oneTapMax: money('1'), dailyCap: money('1') } },
      { token: player.token },
    );
    expect(malformed.data.authorizeGame).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: 'input.gameId' }],
    });
  });

  it('authorizing again updates the allowance and rotates the token: the old one stops at once', async () => {
    const player = await signUpPlayer(app);
    const game = await createGame(app, developer);
    const first = await authorizeGame(app, player.token, game.id, '500', '2000');
    const second = await authorizeGame(app, player.token, game.id, '100', '300');
    expect(second.authorization.id).toBe(first.authorization.id);
    expect(second.authorization.oneTapMax.amount).toBe('100');
    expect(second.gameToken).not.toBe(first.gameToken);

    const old = await app.gql(PREFILL, {}, { token: first.gameToken });
    expect(old.status).toBe(401);
    expect(old.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const fresh = await app.gql(PREFILL, {}, { token: second.gameToken });
    expect(fresh.data.viewer.kind).toBe('PLAYER_GAME');
  });
});

describe('updating, revoking and listing authorizations', () => {
  it('updates the allowance and keeps the token', async () => {
    const player = await signUpPlayer(app);
    const game = await createGame(app, developer, { defaultCurrency: 'JPY' });
    const { gameToken, authorization } = await authorizeGame(app, player.token, game.id, '500', '5000', 'JPY');
    const result = await app.gql(
      UPDATE_AUTHORIZATION,
      {
        input: { authorizationId: authorization.id, oneTapMax: money('1000', 'JPY'), dailyCap: money('10000', 'JPY') },
      },
      { token: player.token },
    );
    expect(result.data.updateGameAuthorization).toMatchObject({
      __typename: 'UpdateGameAuthorizationPayload',
      authorization: {
        id: authorization.id,
        oneTapMax: { amount: '1000', currency: 'JPY', formatted: '¥1,000' },
        dailyCap: { amount: '10000' },
      },
    });
    expect((await app.gql(PREFILL, {}, { token: gameToken })).data.viewer.kind).toBe('PLAYER_GAME');
  });

  it('revokes: the game token is refused at once, the list drops it, and authorizing again starts afresh', async () => {
    const player = await signUpPlayer(app);
    const game = await createGame(app, developer);
    const other = await createGame(app, developer, { name: 'Other Game' });
    const { gameToken, authorization } = await authorizeGame(app, player.token, game.id);
    await authorizeGame(app, player.token, other.id);
    expect((await app.gql(PREFILL, {}, { token: gameToken })).data.viewer.kind).toBe('PLAYER_GAME');

    const revoked = await app.gql(
      REVOKE_AUTHORIZATION,
      { input: { authorizationId: authorization.id } },
      { token: player.token },
    );
    const revokedAt = expectTypename(revoked.data.revokeGameAuthorization, 'RevokeGameAuthorizationPayload')
      .authorization.revokedAt;
    expect(revokedAt).not.toBeNull();
    const refused = await app.gql(PREFILL, {}, { token: gameToken });
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await getActiveAuthorization(app.database.db, player.id, rawId(game.id))).toBeNull();

    const list = await app.gql(AUTHORIZATIONS, {}, { token: player.token });
    expect(list.data.viewer.authorizations.edges.map((e) => e.node.game.id)).toEqual([other.id]);

    const again = await app.gql(
      REVOKE_AUTHORIZATION,
      { input: { authorizationId: authorization.id } },
      { token: player.token },
    );
    expect(
      expectTypename(again.data.revokeGameAuthorization, 'RevokeGameAuthorizationPayload').authorization.revokedAt,
    ).toBe(revokedAt);
    const update = await app.gql(
      UPDATE_AUTHORIZATION,
      { input: { authorizationId: authorization.id, oneTapMax: money('1'), dailyCap: money('1') } },
      { token: player.token },
    );
    expect(update.data.updateGameAuthorization).toMatchObject({ __typename: 'NotFound' });

    const renewed = await authorizeGame(app, player.token, game.id);
    expect(renewed.authorization.id).not.toBe(authorization.id);
    expect((await app.gql(PREFILL, {}, { token: renewed.gameToken })).data.viewer.kind).toBe('PLAYER_GAME');
    expect((await app.gql(PREFILL, {}, { token: gameToken })).status).toBe(401);
  });

  it("lists the player's authorized games oldest first, a page at a time", async () => {
    const player = await signUpPlayer(app);
    const games = [
      await createGame(app, developer, { name: 'First' }),
      await createGame(app, developer, { name: 'Second' }),
    ];
    for (const game of games) await authorizeGame(app, player.token, game.id);
    const page = await app.gql(AUTHORIZATIONS_FIRST, {}, { token: player.token });
    const connection = page.data.viewer.authorizations;
    expect(connection.edges.map((e) => e.node.game.name)).toEqual(['First']);
    expect(connection.pageInfo.hasNextPage).toBe(true);
    const next = await app.gql(AUTHORIZATIONS_AFTER, { after: connection.pageInfo.endCursor }, { token: player.token });
    expect(next.data.viewer.authorizations.edges.map((e) => e.node.game.name)).toEqual(['Second']);
  });

  it("answers another player's authorization with NotFound", async () => {
    const owner = await signUpPlayer(app);
    const intruder = await signUpPlayer(app);
    const game = await createGame(app, developer);
    const { gameToken, authorization } = await authorizeGame(app, owner.token, game.id);
    const revoke = await app.gql(
      REVOKE_AUTHORIZATION,
      { input: { authorizationId: authorization.id } },
      { token: intruder.token },
    );
    expect(revoke.data.revokeGameAuthorization).toMatchObject({ __typename: 'NotFound' });
    const update = await app.gql(
      UPDATE_AUTHORIZATION,
      { input: { authorizationId: authorization.id, oneTapMax: money('99999'), dailyCap: money('99999') } },
      { token: intruder.token },
    );
    expect(update.data.updateGameAuthorization).toMatchObject({ __typename: 'NotFound' });
    const node = await app.gql(AUTH_NODE, { id: authorization.id }, { token: intruder.token });
    expect(node.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await app.gql(PREFILL, {}, { token: gameToken })).data.viewer.kind).toBe('PLAYER_GAME');
    expect((await getActiveAuthorization(app.database.db, owner.id, rawId(game.id)))?.oneTapMax.amountMinor).toBe(500);
  });
});

describe('what a game token may do', () => {
  it("reads the player's display name and the default card's brand and last4 (prefill)", async () => {
    const player = await signUpPlayer(app, 'Prefill Pat');
    const game = await createGame(app, developer);
    const { gameToken } = await authorizeGame(app, player.token, game.id);
    expect((await app.gql(PREFILL, {}, { token: gameToken })).data.viewer).toEqual({
      kind: 'PLAYER_GAME',
      player: { displayName: 'Prefill Pat' },
      defaultCard: null,
    });
    await addCard(app, player.token, TEST_CARDS.visa);
    await addCard(app, player.token, TEST_CARDS.amex, { makeDefault: true });
    expect((await app.gql(PREFILL, {}, { token: gameToken })).data.viewer).toEqual({
      kind: 'PLAYER_GAME',
      player: { displayName: 'Prefill Pat' },
      defaultCard: { brand: 'american-express', last4: '0005' },
    });
    // CardPreview has nothing more to ask for (a string: this document is deliberately invalid).
    const more = await app.gql(`{ viewer { defaultCard { brand last4 holderName } } }`, {}, { token: gameToken });
    expect(more.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('is FORBIDDEN to add, list, remove or choose cards and to authorize or manage games; cards by id are not found', async () => {
    const player = await signUpPlayer(app);
    const game = await createGame(app, developer);
    const { gameToken, authorization } = await authorizeGame(app, player.token, game.id);
    const card = await addCard(app, player.token, TEST_CARDS.visa);
    const as = { token: gameToken };
    const forbidden: [string, () => Promise<GqlResponse<unknown>>][] = [
      ['addCard', () => app.gql(ADD_CARD, { input: cardInput(TEST_CARDS.mastercard) }, as)],
      [
        'authorizeGame',
        () =>
          app.gql(
            AUTHORIZE_GAME,
            { input: { gameId: game.id, oneTapMax: money('99999'), dailyCap: money('99999') } },
            as,
          ),
      ],
      ['cards', () => app.gql(CARDS, {}, as)],
      ['authorizations', () => app.gql(AUTHORIZATIONS, {}, as)],
      ['removeCard', () => app.gql(REMOVE_CARD, { input: { cardId: card.id } }, as)],
      ['setDefaultCard', () => app.gql(SET_DEFAULT_CARD, { input: { cardId: card.id } }, as)],
      [
        'revokeGameAuthorization',
        () => app.gql(REVOKE_AUTHORIZATION, { input: { authorizationId: authorization.id } }, as),
      ],
      [
        'updateGameAuthorization',
        () =>
          app.gql(
            UPDATE_AUTHORIZATION,
            { input: { authorizationId: authorization.id, oneTapMax: money('99999'), dailyCap: money('99999') } },
            as,
          ),
      ],
    ];
    for (const [name, send] of forbidden) {
      const result = await send();
      expect(result.errors?.[0]?.extensions?.code, name).toBe('FORBIDDEN');
      expect(JSON.stringify(result.data ?? null), name).not.toMatch(
        /"__typename":"(AddCard|AuthorizeGame|RemoveCard|SetDefaultCard)Payload"/,
      );
    }
    const node = await app.gql(CARD_NODE, { id: card.id }, { token: gameToken });
    expect(node.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const authNode = await app.gql(AUTH_NODE, { id: authorization.id }, { token: gameToken });
    expect(authNode.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Nothing changed: one card, still the default; the allowance as it was.
    const cards = await app.gql(CARDS, {}, { token: player.token });
    expect(cards.data.viewer.cards).toEqual([expect.objectContaining({ id: card.id, isDefault: true })]);
    expect((await getActiveAuthorization(app.database.db, player.id, rawId(game.id)))?.oneTapMax.amountMinor).toBe(500);
  });

  it('a developer is FORBIDDEN and an anonymous caller UNAUTHENTICATED on player-only operations', async () => {
    const game = await createGame(app, developer);
    const add = await app.gql(ADD_CARD, { input: cardInput(TEST_CARDS.visa) }, { token: developer.token });
    expect(add.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const prefill = await app.gql(DEFAULT_CARD_LAST4, {}, { token: developer.token });
    expect(prefill.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await app.gql(AUTHORIZE_GAME, {
      input: { gameId: game.id, oneTapMax: money('1'), dailyCap: money('1') },
    });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
