import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticate, hashToken, logOut } from '../../../src/modules/accounts/index.js';
import { UnauthenticatedError } from '../../../src/shared/errors.js';
import type { Principal } from '../../../src/shared/principal.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { createGame, ROTATE_GAME_KEYS, signUpDeveloper } from '../catalog/flows.js';
import { authorizeGame, REVOKE_AUTHORIZATION, signUpPlayer } from '../cards/flows.js';
import { expectTypename } from '../../helpers/graphql.js';
import { countLookups, LOG_OUT, revocationHeard, whoIs } from './principal-cache-fixtures.js';

describe('principal cache across two instances', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // two instances sharing Postgres and Redis (one key prefix), as behind a load balancer
    const env = { REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`, WEBHOOK_DISPATCHER: 'off' };
    [a, b] = await Promise.all([createTestApp({ env }), createTestApp({ env })]);
    expect(a.deps.principalCache.active).toBe(true);
    expect(b.deps.principalCache.active).toBe(true);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('answers a known credential from memory: one Postgres lookup for many requests, for every kind', async () => {
    const developer = await signUpDeveloper(a, 'cache');
    const game = await createGame(a, developer);
    const player = await signUpPlayer(a);
    const { gameToken } = await authorizeGame(a, player.token, game.id);
    const tokens = {
      DEVELOPER: developer.token,
      PLAYER: player.token,
      GAME_SECRET: game.secretKey,
      GAME_PUBLISHABLE: game.publishableKey,
      PLAYER_GAME: gameToken,
    };

    // b has seen none of them yet
    const lookups = countLookups(b);
    try {
      for (let round = 0; round < 5; round++) {
        for (const [kind, token] of Object.entries(tokens)) expect(await whoIs(b, token)).toBe(kind);
      }
      expect(lookups.count).toBe(Object.keys(tokens).length);
    } finally {
      lookups.restore();
    }
  });

  it('never caches an unknown credential: every attempt asks Postgres', async () => {
    const lookups = countLookups(a);
    try {
      const unknown = `ds_${randomBytes(32).toString('base64url')}`;
      for (let i = 0; i < 3; i++) expect(await whoIs(a, unknown)).toBe('UNAUTHENTICATED');
      expect(lookups.count).toBe(3);
    } finally {
      lookups.restore();
    }
  });

  it('log out on A: the session token is refused at once on A, and on B as soon as the revocation arrives', async () => {
    const developer = await signUpDeveloper(a, 'logout');
    const player = await signUpPlayer(a);
    for (const app of [a, b]) {
      expect(await whoIs(app, developer.token)).toBe('DEVELOPER');
      expect(await whoIs(app, player.token)).toBe('PLAYER');
    }
    // b answers both from memory now
    const lookups = countLookups(b);
    expect(await whoIs(b, developer.token)).toBe('DEVELOPER');
    expect(await whoIs(b, player.token)).toBe('PLAYER');
    expect(lookups.count).toBe(0);
    lookups.restore();

    for (const token of [developer.token, player.token]) {
      const before = b.deps.principalCache.generation;
      expect((await a.gql(LOG_OUT, {}, { token })).data.logOut).toBe(true);
      expect(await whoIs(a, token)).toBe('UNAUTHENTICATED');
      expect(await revocationHeard(b, before)).toBeLessThan(1_000);
      expect(await whoIs(b, token)).toBe('UNAUTHENTICATED');
    }
  });

  it('rotating game keys on A: the old secret and publishable keys are refused on A and B, the new ones work', async () => {
    const developer = await signUpDeveloper(a, 'rotate');
    const game = await createGame(a, developer);
    for (const app of [a, b]) {
      expect(await whoIs(app, game.secretKey)).toBe('GAME_SECRET');
      expect(await whoIs(app, game.publishableKey)).toBe('GAME_PUBLISHABLE');
    }
    const before = b.deps.principalCache.generation;
    const rotated = await a.gql(ROTATE_GAME_KEYS, { input: { gameId: game.id } }, { token: developer.token });
    const keys = expectTypename(rotated.data.rotateGameKeys, 'RotateGameKeysPayload');
    expect(await whoIs(a, game.secretKey)).toBe('UNAUTHENTICATED');
    expect(await whoIs(a, game.publishableKey)).toBe('UNAUTHENTICATED');
    await revocationHeard(b, before);
    expect(await whoIs(b, game.secretKey)).toBe('UNAUTHENTICATED');
    expect(await whoIs(b, game.publishableKey)).toBe('UNAUTHENTICATED');
    expect(await whoIs(b, keys.secretKey)).toBe('GAME_SECRET');
    expect(await whoIs(b, keys.publishableKey)).toBe('GAME_PUBLISHABLE');
  });

  it('revoking a game authorization on A: the game token is refused on A and B', async () => {
    const developer = await signUpDeveloper(a, 'revoke');
    const game = await createGame(a, developer);
    const player = await signUpPlayer(a);
    const { gameToken, authorization } = await authorizeGame(a, player.token, game.id);
    for (const app of [a, b]) expect(await whoIs(app, gameToken)).toBe('PLAYER_GAME');

    const before = b.deps.principalCache.generation;
    const revoked = await a.gql(
      REVOKE_AUTHORIZATION,
      { input: { authorizationId: authorization.id } },
      { token: player.token },
    );
    expect(
      expectTypename(revoked.data.revokeGameAuthorization, 'RevokeGameAuthorizationPayload').authorization.revokedAt,
    ).not.toBeNull();
    expect(await whoIs(a, gameToken)).toBe('UNAUTHENTICATED');
    await revocationHeard(b, before);
    expect(await whoIs(b, gameToken)).toBe('UNAUTHENTICATED');
  });

  it('authorizing a game again on B rotates the game token: the old one is refused on A', async () => {
    const developer = await signUpDeveloper(a, 'reauth');
    const game = await createGame(a, developer);
    const player = await signUpPlayer(a);
    const first = await authorizeGame(a, player.token, game.id);
    for (const app of [a, b]) expect(await whoIs(app, first.gameToken)).toBe('PLAYER_GAME');

    const before = a.deps.principalCache.generation;
    const second = await authorizeGame(b, player.token, game.id);
    expect(second.authorization.id).toBe(first.authorization.id);
    expect(await whoIs(b, first.gameToken)).toBe('UNAUTHENTICATED');
    await revocationHeard(a, before);
    expect(await whoIs(a, first.gameToken)).toBe('UNAUTHENTICATED');
    expect(await whoIs(a, second.gameToken)).toBe('PLAYER_GAME');
  });

  it('a lookup that read Postgres before a revocation committed does not cache its stale answer', async () => {
    const developer = await signUpDeveloper(a, 'race');
    const tokenHash = hashToken(a.config.secrets.tokenPepper, developer.token);
    const [session] = (
      await a.database.pool!.query('select id, developer_id from sessions where token_hash = $1', [tokenHash])
    ).rows;
    const principal: Principal = { kind: 'developer', developerId: session.developer_id, sessionId: session.id };
    a.deps.principalCache.clear();

    // The session lookup reads the live session, then its answer is held until the session is revoked.
    const pool = a.database.pool!;
    const query = pool.query.bind(pool) as (config: unknown, values?: unknown) => Promise<unknown>;
    let readLiveSession!: () => void;
    const sessionRead = new Promise<void>((resolve) => (readLiveSession = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const spy = vi.spyOn(pool, 'query').mockImplementation((async (config: unknown, values?: unknown) => {
      const result = await query(config, values);
      if ((config as { name?: string }).name === 'accounts_session_by_hash' && !held) {
        held = true;
        readLiveSession();
        await released;
      }
      return result;
    }) as never);
    try {
      const inFlight = authenticate(a.deps, `Bearer ${developer.token}`);
      await sessionRead;
      expect(await logOut({ deps: a.deps, principal, requestId: 'race', ip: null })).toBe(true);
      release();
      // the request that was already under way is answered with what it read …
      expect(await inFlight).toEqual(principal);
    } finally {
      spy.mockRestore();
    }
    // … but it did not put that into the cache: the next request is refused
    await expect(authenticate(a.deps, `Bearer ${developer.token}`)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe('PRINCIPAL_CACHE_TTL=0', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { PRINCIPAL_CACHE_TTL: '0', WEBHOOK_DISPATCHER: 'off' } });
  });
  afterAll(() => app?.close());

  it('turns the cache off: every request looks its credential up in Postgres', async () => {
    expect(app.deps.principalCache.active).toBe(false);
    const developer = await signUpDeveloper(app, 'nocache');
    const lookups = countLookups(app);
    try {
      for (let i = 0; i < 4; i++) expect(await whoIs(app, developer.token)).toBe('DEVELOPER');
      expect(lookups.count).toBe(4);
      expect(app.deps.principalCache.size).toBe(0);
    } finally {
      lookups.restore();
    }
    expect((await app.gql(LOG_OUT, {}, { token: developer.token })).data.logOut).toBe(true);
    expect(await whoIs(app, developer.token)).toBe('UNAUTHENTICATED');
  });
});
