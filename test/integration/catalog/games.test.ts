import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import type { Clock } from '../../../src/shared/clock.js';
import {
  CATALOG,
  CREATE_GAME,
  CREATE_ITEM,
  DEFINE_CURRENCY,
  GAME,
  ROTATE_GAME_KEYS,
  SET_GAME_PLATFORM_FEE,
  UPDATE_GAME,
  createGame,
  defineCurrency,
  itemInput,
  signUpDeveloper,
  signUpPlayer,
  type Developer,
} from './flows.js';
import { publicId } from '../../../src/shared/public-ids.js';
import { decodeId } from '../../helpers/flows.js';

const VIEWER_GAMES = graphql(`
  query ViewerGames($first: Int, $after: String) {
    viewer { kind games(first: $first, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }
  }
`);
const VIEWER_KIND = graphql(`query ViewerKind { viewer { kind } }`);
const NODE_ID = graphql(`query NodeId($id: ID!) { node(id: $id) { id } }`);

/** The system time, but strictly increasing, so games created one after another list in that order. */
function increasingClock(): Clock {
  let last = 0;
  return { now: () => new Date((last = Math.max(Date.now(), last + 1))) };
}

describe('games', () => {
  let app: TestApp;
  let alice: Developer;
  let bob: Developer;
  beforeAll(async () => {
    app = await createTestApp({ clock: increasingClock() });
    [alice, bob] = await Promise.all([signUpDeveloper(app, 'alice'), signUpDeveloper(app, 'bob')]);
  });
  afterAll(() => app.close());

  it('creates a game with the default fee and returns sk_/pk_ keys stored only as hashes', async () => {
    const result = await app.gql(
      CREATE_GAME,
      { input: { name: 'Tapper', defaultCurrency: 'EUR' } },
      { token: alice.token },
    );
    const payload = expectTypename(result.data.createGame, 'CreateGamePayload');
    expect(payload.game).toMatchObject({
      name: 'Tapper',
      defaultCurrency: 'EUR',
      platformFeeBps: 3000,
      webhookUrl: null,
      currencies: [],
    });
    expect(payload.secretKey).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(payload.publishableKey).toMatch(/^pk_[A-Za-z0-9_-]{43}$/);

    const stored = await app.database.pool!.query(
      'select key_hash, key_prefix, kind from game_keys where key_hash = any($1) or key_prefix = any($2)',
      [
        [payload.secretKey, payload.publishableKey],
        [payload.secretKey.slice(0, 10), payload.publishableKey.slice(0, 10)],
      ],
    );
    expect(stored.rows.map((r) => r.kind).sort()).toEqual(['publishable', 'secret']);
    for (const row of stored.rows) expect([payload.secretKey, payload.publishableKey]).not.toContain(row.key_hash);
  });

  it('accepts an https webhook, and http only on localhost', async () => {
    for (const webhookUrl of [
      'https://game.example.com/hooks',
      'http://localhost:3000/hook',
      'http://127.0.0.1/hook',
      'http://[::1]:8080/hook',
    ]) {
      const result = await app.gql(
        CREATE_GAME,
        { input: { name: 'Hooked', defaultCurrency: 'USD', webhookUrl } },
        { token: alice.token },
      );
      expect(result.data.createGame.__typename, webhookUrl).toBe('CreateGamePayload');
      expect(expectTypename(result.data.createGame, 'CreateGamePayload').game).toMatchObject({
        platformFeeBps: 3000,
        webhookUrl,
      });
    }
  });

  it.each([
    ['plain http off localhost', { webhookUrl: 'http://game.example.com/hook' }, 'input.webhookUrl'],
    ['a webhook that is not a URL', { webhookUrl: 'not a url' }, 'input.webhookUrl'],
    ['a webhook with credentials', { webhookUrl: 'https://user:pw@game.example.com/hook' }, 'input.webhookUrl'],
    ['a default currency that is not ISO 4217', { defaultCurrency: 'GEM' }, 'input.defaultCurrency'],
    ['an empty name', { name: '   ' }, 'input.name'],
  ])('refuses %s with a ValidationError naming the field, and writes nothing', async (_label, overrides, path) => {
    const name = `Bad game ${Math.random()}`;
    const result = await app.gql(
      CREATE_GAME,
      { input: { name, defaultCurrency: 'USD', ...overrides } },
      { token: alice.token },
    );
    const refused = expectTypename(result.data.createGame, 'ValidationError');
    expect(refused.code).toBe('VALIDATION_FAILED');
    expect(refused.fieldErrors.map((e) => e.path)).toContain(path);
    const rows = await app.database.pool!.query('select 1 from games where name = $1', [name]);
    expect(rows.rowCount).toBe(0);
  });

  it('lets the secret key see its game and the catalog, and the publishable key read the catalog', async () => {
    const game = await createGame(app, alice);
    const asServer = await app.gql(VIEWER_KIND, {}, { token: game.secretKey });
    expect(asServer.data.viewer.kind).toBe('GAME_SECRET');
    const read = await app.gql(GAME, { id: game.id }, { token: game.secretKey });
    expect(read.data.game).toMatchObject({ id: game.id, platformFeeBps: 3000 });
    for (const token of [game.secretKey, game.publishableKey]) {
      const catalog = await app.gql(CATALOG, { gameId: game.id }, { token });
      expect(catalog.errors).toBeUndefined();
      expect(catalog.data.catalog).toEqual([]);
    }
    // The publishable key is public: it sees the game but not its business settings.
    const asClient = await app.gql(GAME, { id: game.id }, { token: game.publishableKey });
    expect(asClient.data.game).toMatchObject({ id: game.id, platformFeeBps: null, webhookUrl: null });
  });

  it('rotates keys: the old ones stop at once, the new ones work', async () => {
    const game = await createGame(app, alice);
    const rotated = await app.gql(ROTATE_GAME_KEYS, { input: { gameId: game.id } }, { token: alice.token });
    const { secretKey, publishableKey } = expectTypename(rotated.data.rotateGameKeys, 'RotateGameKeysPayload');
    expect(secretKey).not.toBe(game.secretKey);
    expect(publishableKey).not.toBe(game.publishableKey);

    for (const old of [game.secretKey, game.publishableKey]) {
      const refused = await app.gql(CATALOG, { gameId: game.id }, { token: old });
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    for (const fresh of [secretKey, publishableKey]) {
      const ok = await app.gql(CATALOG, { gameId: game.id }, { token: fresh });
      expect(ok.errors).toBeUndefined();
    }
  });

  it('keeps exactly one live key pair when rotations race', async () => {
    const game = await createGame(app, alice);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.gql(ROTATE_GAME_KEYS, { input: { gameId: game.id } }, { token: alice.token }),
      ),
    );
    expect(results.every((r) => r.data.rotateGameKeys.__typename === 'RotateGameKeysPayload')).toBe(true);
    const live = await app.database.pool!.query(
      `select kind from game_keys where game_id = $1 and revoked_at is null order by kind`,
      [decodeId(game.id)],
    );
    expect(live.rows.map((r) => r.kind)).toEqual(['publishable', 'secret']);
  });

  it('updates name and webhook, and clears the webhook with null', async () => {
    const game = await createGame(app, alice, { webhookUrl: 'https://a.example.com/h' });
    const updated = await app.gql(UPDATE_GAME, { input: { gameId: game.id, name: 'Renamed' } }, { token: alice.token });
    expect(expectTypename(updated.data.updateGame, 'UpdateGamePayload').game).toMatchObject({
      name: 'Renamed',
      platformFeeBps: 3000,
      webhookUrl: 'https://a.example.com/h',
    });
    const cleared = await app.gql(
      UPDATE_GAME,
      { input: { gameId: game.id, webhookUrl: null } },
      { token: alice.token },
    );
    expect(expectTypename(cleared.data.updateGame, 'UpdateGamePayload').game).toMatchObject({
      name: 'Renamed',
      webhookUrl: null,
    });
  });

  it('lets only an operator set the platform fee; the developer reads it but cannot change it', async () => {
    const game = await createGame(app, alice);
    // The developer inputs have no fee: the request is refused as invalid before anything runs (printed
    // to a string: these variables are deliberately outside the input types).
    for (const [document, input] of [
      [print(UPDATE_GAME), { gameId: game.id, platformFeeBps: 0 }],
      [print(CREATE_GAME), { name: 'Free ride', defaultCurrency: 'USD', platformFeeBps: 0 }],
    ] as const) {
      const refused = await app.gql(document, { input }, { token: alice.token });
      expect(refused.status).toBe(400);
      expect(refused.errors?.[0]?.message).toContain('platformFeeBps');
    }
    const freeRide = await app.database.pool!.query('select 1 from games where name = $1', ['Free ride']);
    expect(freeRide.rowCount).toBe(0);
    // The operator mutation refuses the developer, the game's own keys and anonymous callers.
    for (const token of [alice.token, bob.token, game.secretKey, undefined]) {
      const denied = await app.gql(SET_GAME_PLATFORM_FEE, { input: { gameId: game.id, platformFeeBps: 0 } }, { token });
      expect(denied.data?.setGamePlatformFee ?? null, String(token)).toBeNull();
      expect(['FORBIDDEN', 'UNAUTHENTICATED']).toContain(denied.errors?.[0]?.extensions?.code);
    }
    const unchanged = await app.gql(GAME, { id: game.id }, { token: alice.token });
    expect(unchanged.data.game?.platformFeeBps).toBe(3000);

    const operator = app.config.secrets.operatorToken;
    const set = await app.gql(
      SET_GAME_PLATFORM_FEE,
      { input: { gameId: game.id, platformFeeBps: 1500 } },
      {
        token: operator,
      },
    );
    expect(expectTypename(set.data.setGamePlatformFee, 'UpdateGamePayload').game).toMatchObject({
      id: game.id,
      platformFeeBps: 1500,
    });
    const read = await app.gql(GAME, { id: game.id }, { token: alice.token });
    expect(read.data.game?.platformFeeBps).toBe(1500);

    for (const [fee, label] of [
      [10_001, 'above 10000'],
      [-1, 'negative'],
    ] as const) {
      const bad = await app.gql(
        SET_GAME_PLATFORM_FEE,
        { input: { gameId: game.id, platformFeeBps: fee } },
        {
          token: operator,
        },
      );
      expect(bad.data.setGamePlatformFee, label).toMatchObject({ __typename: 'ValidationError' });
      expect(expectTypename(bad.data.setGamePlatformFee, 'ValidationError').fieldErrors.map((e) => e.path)).toEqual([
        'input.platformFeeBps',
      ]);
    }
    const unknown = await app.gql(
      SET_GAME_PLATFORM_FEE,
      { input: { gameId: publicId('Game', '00000000-0000-4000-8000-000000000000'), platformFeeBps: 10 } },
      { token: operator },
    );
    expect(unknown.data.setGamePlatformFee.__typename).toBe('NotFound');
    expect((await app.gql(GAME, { id: game.id }, { token: alice.token })).data.game?.platformFeeBps).toBe(1500);
  });

  it('defines virtual currencies, unique per game and never an ISO 4217 code', async () => {
    const game = await createGame(app, alice);
    await defineCurrency(app, alice, game.id, 'GEM', 'Gems');
    const again = await app.gql(
      DEFINE_CURRENCY,
      { input: { gameId: game.id, code: 'GEM', name: 'More gems' } },
      { token: alice.token },
    );
    expect(again.data.defineCurrency).toMatchObject({
      __typename: 'CurrencyCodeTaken',
      code: 'CURRENCY_CODE_TAKEN',
      currencyCode: 'GEM',
    });
    for (const [code, path] of [
      ['USD', 'input.code'],
      ['JPY', 'input.code'],
      ['gem', 'input.code'],
      ['G', 'input.code'],
      ['ABCDEFGHI', 'input.code'],
    ] as const) {
      const bad = await app.gql(
        DEFINE_CURRENCY,
        { input: { gameId: game.id, code, name: 'x' } },
        { token: alice.token },
      );
      expect(bad.data.defineCurrency.__typename, code).toBe('ValidationError');
      expect(expectTypename(bad.data.defineCurrency, 'ValidationError').fieldErrors[0]?.path).toBe(path);
    }
    // Another game may use the same code.
    const other = await createGame(app, alice);
    await defineCurrency(app, alice, other.id, 'GEM', 'Gems');
    const read = await app.gql(GAME, { id: game.id }, { token: alice.token });
    expect(read.data.game?.currencies).toEqual([{ code: 'GEM', name: 'Gems' }]);
  });

  it("answers NotFound to a second developer for everything about the first one's game", async () => {
    const game = await createGame(app, alice);
    const read = await app.gql(GAME, { id: game.id }, { token: bob.token });
    expect(read.data.game).toBeNull();
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const update = await app.gql(UPDATE_GAME, { input: { gameId: game.id, name: 'Mine now' } }, { token: bob.token });
    expect(update.data.updateGame).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    const rotate = await app.gql(ROTATE_GAME_KEYS, { input: { gameId: game.id } }, { token: bob.token });
    expect(rotate.data.rotateGameKeys.__typename).toBe('NotFound');
    const currency = await app.gql(
      DEFINE_CURRENCY,
      { input: { gameId: game.id, code: 'GOLD', name: 'Gold' } },
      { token: bob.token },
    );
    expect(currency.data.defineCurrency.__typename).toBe('NotFound');
    const item = await app.gql(CREATE_ITEM, { input: itemInput(game.id) }, { token: bob.token });
    expect(item.data.createItem.__typename).toBe('NotFound');
    const catalog = await app.gql(CATALOG, { gameId: game.id }, { token: bob.token });
    expect(catalog.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const node = await app.gql(NODE_ID, { id: game.id }, { token: bob.token });
    expect(node.data?.node ?? null).toBeNull();

    // Nothing changed, and Alice's keys still work.
    const mine = await app.gql(GAME, { id: game.id }, { token: alice.token });
    expect(mine.data.game?.name).toBe('Dungeon Tapper');
    expect((await app.gql(CATALOG, { gameId: game.id }, { token: game.publishableKey })).errors).toBeUndefined();
  });

  it("lists only the developer's own games on the viewer, page by page", async () => {
    const carol = await signUpDeveloper(app, 'carol');
    const names = ['First', 'Second', 'Third'];
    for (const name of names) await createGame(app, carol, { name });
    const first = await app.gql(VIEWER_GAMES, { first: 2 }, { token: carol.token });
    expect(first.data.viewer.games.edges.map((e) => e.node.name)).toEqual(['First', 'Second']);
    expect(first.data.viewer.games.pageInfo.hasNextPage).toBe(true);
    const second = await app.gql(
      VIEWER_GAMES,
      { first: 2, after: first.data.viewer.games.pageInfo.endCursor },
      { token: carol.token },
    );
    expect(second.data.viewer.games.edges.map((e) => e.node.name)).toEqual(['Third']);
    expect(second.data.viewer.games.pageInfo.hasNextPage).toBe(false);
    const bobs = await app.gql(VIEWER_GAMES, { first: 100 }, { token: bob.token });
    expect(bobs.data.viewer.games.edges).toEqual([]);
    const badCursor = await app.gql(VIEWER_GAMES, { first: 2, after: 'nonsense' }, { token: carol.token });
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });

  it('refuses writes without credentials (UNAUTHENTICATED) and with a player token (FORBIDDEN)', async () => {
    const anonymous = await app.gql(CREATE_GAME, { input: { name: 'x', defaultCurrency: 'USD' } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const player = await signUpPlayer(app);
    const forbidden = await app.gql(
      CREATE_GAME,
      { input: { name: 'x', defaultCurrency: 'USD' } },
      { token: player.token },
    );
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const game = await createGame(app, alice);
    const bySecretKey = await app.gql(
      UPDATE_GAME,
      { input: { gameId: game.id, name: 'x' } },
      { token: game.secretKey },
    );
    expect(bySecretKey.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers a malformed or wrong-type id with a typed ValidationError, and an unknown one with NotFound', async () => {
    const game = await createGame(app, alice);
    for (const gameId of [
      'not-an-id',
      publicId('Item', '00000000-0000-4000-8000-000000000000'),
      Buffer.from('Game').toString('base64'),
      Buffer.from('Game:abc').toString('base64'), // a Relay id of before, but of no row
      'gam_abc',
      'gam_8zzzzzzzzzzzzzzzzzzzzzzzzz', // 130 bits: no UUID
      'gam_0000000000000000000000000i', // not Crockford's alphabet
    ]) {
      const result = await app.gql(UPDATE_GAME, { input: { gameId, name: 'x' } }, { token: alice.token });
      expect(result.data.updateGame.__typename, gameId).toBe('ValidationError');
      expect(expectTypename(result.data.updateGame, 'ValidationError').fieldErrors[0]?.path).toBe('input.gameId');
    }
    for (const gameId of [
      publicId('Game', '00000000-0000-4000-8000-000000000000'),
      // Ids of before the one-id change are read during the transition.
      Buffer.from('Game:00000000-0000-4000-8000-000000000000').toString('base64'),
      '00000000-0000-4000-8000-000000000000',
    ]) {
      const result = await app.gql(UPDATE_GAME, { input: { gameId, name: 'x' } }, { token: alice.token });
      expect(result.data.updateGame.__typename, gameId).toBe('NotFound');
    }
    const catalog = await app.gql(CATALOG, { gameId: 'garbage' }, { token: game.publishableKey });
    expect(catalog.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});
