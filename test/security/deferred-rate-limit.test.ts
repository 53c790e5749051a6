// The API rate limit of a known credential waits for the idempotency lock (one Redis call for both,
// graphql/rate-limit-plugin.ts). These prove that deferring it loses none of what counting it before
// parsing gave: every request is counted, at the same limit, refused with the same 429; an unknown
// credential is still refused before anything touches Postgres; a refused mutation locks and changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import {
  buyTyped as buy,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
} from '../helpers/flows.js';
import { expectTypename } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { dropRedisKeys } from '../integration/fraud/fixtures.js';

const LIMIT = 20;
const VIEWER = '{ viewer { kind } }';

describe('a deferred API rate limit counts and refuses as before', () => {
  const clock = new ManualClock();
  let app: TestApp;
  let game: GameSetup;
  let ipSeq = 0;
  const freshIp = () => `198.51.100.${++ipSeq}`;

  beforeAll(async () => {
    app = await createTestApp({
      clock,
      env: {
        API_RATE_LIMIT_PER_CREDENTIAL: String(LIMIT),
        API_RATE_LIMIT_PER_IP: '100000',
        API_RATE_LIMIT_PERIOD: '1m',
        API_RATE_LIMIT_TRUST_PROXY: 'true',
        BACKGROUND_JOBS: 'false',
        WEBHOOK_DISPATCHER: 'off',
      },
    });
    game = await setUpGame(app);
  }, 60_000);
  afterAll(async () => {
    await dropRedisKeys(app);
    await app?.close();
  });

  /** A player whose game token this instance has cached (so its requests are deferred), with a fresh quota. */
  async function knownPlayer(): Promise<PlayerSetup> {
    const player = await setUpPlayer(app, game);
    clock.advance(60_000);
    // one request caches the principal; it is the first of the quota
    expect((await app.gql(VIEWER, {}, { token: player.gameToken })).status).toBe(200);
    expect(app.deps.principalCache.active).toBe(true);
    expect(app.deps.idempotencyStore.throttlesInBegin).toBe(true);
    return player;
  }

  // the IP's part of RateLimit is left out: its key lives a few ms of Redis' real time, while the clock here stands still
  const headersOf = (response: { headers: Headers }) => ({
    ...Object.fromEntries(['content-type', 'retry-after', 'ratelimit-policy'].map((h) => [h, response.headers.get(h)])),
    credential: /"credential";[^,]*/.exec(response.headers.get('ratelimit') ?? '')?.[0],
  });

  it('refuses a flood of invalid documents and queries with an Idempotency-Key at the same limit, with the same 429', async () => {
    const player = await knownPlayer();
    const ip = freshIp();
    const documents = ['mutation {', 'mutation { noSuchField }', VIEWER, '{ viewer { noSuchField } }', 'query {'];
    const statuses: number[] = [];
    const send = (i: number) =>
      app.gql(
        documents[i % documents.length]!,
        {},
        {
          token: player.gameToken,
          headers: { 'idempotency-key': randomUUID(), 'x-forwarded-for': ip },
        },
      );
    // the warm-up request was the first of the quota
    for (let i = 0; i < LIMIT - 1; i++) statuses.push((await send(i)).status);
    expect(statuses).not.toContain(429);
    const refused = await send(0);
    expect(refused.status).toBe(429);
    expect(refused.errors).toEqual([
      {
        message: 'Too many requests. Try again later.',
        extensions: { code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: 3 },
      },
    ]);
    expect(refused.data).toBeUndefined();
    // once refused, the credential is counted before parsing again: that 429 is the same answer
    const before = await send(2);
    expect(before.status).toBe(429);
    expect(before.text).toBe(refused.text);
    expect(headersOf(before)).toEqual(headersOf(refused));
    expect(headersOf(refused)).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'retry-after': '3',
      'ratelimit-policy': `"ip";q=100000;w=60, "credential";q=${LIMIT};w=60`,
      credential: '"credential";r=0;t=60',
    });
    // and it comes back when the quota does
    clock.advance(3_000);
    expect((await send(2)).status).toBe(200);
  });

  it('counts bodies yoga refuses itself (no GraphQL result) and refuses them at the same limit', async () => {
    const player = await knownPlayer();
    const ip = freshIp();
    const send = (contentType: string, body: string) =>
      app.app.fetch('http://coinslot.test/graphql', {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${player.gameToken}`, 'x-forwarded-for': ip },
        body,
      });
    const bodies: [string, string][] = [
      ['text/plain', 'mutation { logOut }'],
      ['application/json', '{ not json'],
      ['application/json', '[]'],
      ['application/json', '{"query": 1}'],
    ];
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT - 1; i++) {
      const [contentType, body] = bodies[i % bodies.length]!;
      const response = await send(contentType, body);
      await response.text();
      statuses.push(response.status);
    }
    expect(statuses).not.toContain(429);
    expect(statuses.some((status) => status >= 400)).toBe(true);
    const refused = await send('text/plain', 'mutation { logOut }');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3');
    expect((await refused.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
  });

  it('refuses a flood with an unknown credential before any Postgres query', async () => {
    const token = `gt_${randomUUID().replaceAll('-', '')}unknown`;
    const ip = freshIp();
    const send = () =>
      app.gql(VIEWER, {}, { token, headers: { 'idempotency-key': randomUUID(), 'x-forwarded-for': ip } });
    for (let i = 0; i < LIMIT; i++) expect((await send()).status).toBe(401);
    const pool = app.database.pool!;
    let queries = 0;
    const onAcquire = () => queries++;
    pool.on('acquire', onAcquire);
    try {
      for (let i = 0; i < 5; i++) expect((await send()).status).toBe(429);
    } finally {
      pool.off('acquire', onAcquire);
    }
    expect(queries).toBe(0);
  });

  it('refuses a purchase over the limit before it runs: no lock, nothing charged, the key still free', async () => {
    const player = await knownPlayer();
    const ip = freshIp();
    for (let i = 0; i < LIMIT - 1; i++) {
      expect((await app.gql(VIEWER, {}, { token: player.gameToken, headers: { 'x-forwarded-for': ip } })).status).toBe(
        200,
      );
    }
    const key = randomUUID();
    const purchases = async () =>
      Number(
        (
          await app.database.pool!.query('select count(*) from purchases where player_id = $1', [
            decodeId(player.playerId),
          ])
        ).rows[0].count,
      );
    const refused = await buy(app, game, player, game.items.life!, { key, headers: { 'x-forwarded-for': ip } });
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 3 });
    expect(refused.headers.get('retry-after')).toBe('3');
    expect(refused.headers.get('ratelimit')).toContain('"credential";r=0;t=60');
    expect(await purchases()).toBe(0);
    // no lock was taken: once the quota is back the same key runs (not IdempotencyInProgress, not a replay)
    clock.advance(3_000);
    const retried = await buy(app, game, player, game.items.life!, { key, headers: { 'x-forwarded-for': ip } });
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(expectTypename(retried.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(await purchases()).toBe(1);
  });

  it('refuses a mutation without a key over the limit before it runs', async () => {
    const player = await setUpPlayer(app, game);
    clock.advance(60_000);
    const ip = freshIp();
    const asPlayer = (document: string) =>
      app.gql(document, {}, { token: player.playerToken, headers: { 'x-forwarded-for': ip } });
    // the first caches the session's principal; all of them are counted before they execute
    for (let i = 0; i < LIMIT; i++) expect((await asPlayer(VIEWER)).status).toBe(200);
    expect(app.deps.principalCache.size).toBeGreaterThan(0);
    const refused = await asPlayer('mutation { logOut }');
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    clock.advance(3_000);
    // logOut did not run: the session still signs in
    const after = await asPlayer(VIEWER);
    expect(after.errors).toBeUndefined();
    expect(after.data.viewer.kind).toBe('PLAYER');
  });

  it('counts a purchase and its replay with the lock, once each', async () => {
    const player = await knownPlayer();
    const ip = freshIp();
    const key = randomUUID();
    const first = await buy(app, game, player, game.items.life!, { key, headers: { 'x-forwarded-for': ip } });
    expect(first.headers.get('ratelimit')).toContain(`"credential";r=${LIMIT - 2};`);
    const replay = await buy(app, game, player, game.items.life!, { key, headers: { 'x-forwarded-for': ip } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    const after = await app.gql(VIEWER, {}, { token: player.gameToken, headers: { 'x-forwarded-for': ip } });
    expect(after.headers.get('ratelimit')).toContain(`"credential";r=${LIMIT - 4};`);
  });

  it('counts replays answered from memory and refuses them over the limit with the 429, not the replay', async () => {
    const player = await knownPlayer();
    const ip = freshIp();
    const key = randomUUID();
    const first = await buy(app, game, player, game.items.life!, { key, headers: { 'x-forwarded-for': ip } });
    expect(expectTypename(first.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    // the quota left after the viewer and the purchase: each is a replay, kept in this instance's memory
    for (let i = 0; i < LIMIT - 2; i++) {
      const replay = await buy(app, game, player, game.items.life!, { key, headers: { 'x-forwarded-for': ip } });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('ratelimit')).toContain(`"credential";r=${LIMIT - 3 - i};`);
    }
    const refused = await buy(app, game, player, game.items.life!, { key, headers: { 'x-forwarded-for': ip } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('idempotent-replayed')).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.headers.get('ratelimit')).toContain('"credential";r=0;');
  });
});
