// Issue 17, item 12: CORS echoed any origin with credentials. After: /graphql answers CORS for the
// games' registered origins (`allowedOrigins`) and Coinslot's own, never with credentials (bearer
// tokens only); any other origin gets no CORS header at all, on the preflight and on the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { setUpGame, type GameSetup } from '../helpers/flows.js';
import { graphql } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const GAME_ORIGIN = 'https://play.example-game.test';
const PUBLIC_URL = 'https://coinslot.example.test';
const UPDATE_GAME = graphql(`
  mutation CorsUpdateGame($input: UpdateGameInput!) { updateGame(input: $input) { __typename ... on Error { message } } }
`);

describe('CORS of the API', () => {
  let app: TestApp;
  let game: GameSetup;
  const clock = new ManualClock();

  beforeAll(async () => {
    // GraphiQL off: its sandboxed page's `Origin: null` is allowed only while it is on (http-hardening.test.ts)
    app = await createTestApp({ clock, env: { PUBLIC_URL, CORS_ORIGINS_TTL: '30s', GRAPHIQL: 'false' } });
    game = await setUpGame(app);
    const res = await app.gql(
      UPDATE_GAME,
      { input: { gameId: game.gameId, allowedOrigins: [GAME_ORIGIN] } },
      {
        token: game.devToken,
      },
    );
    expect(res.data.updateGame.__typename, res.text).toBe('UpdateGamePayload');
  }, 60_000);
  afterAll(() => app?.close());

  const preflight = (origin: string) =>
    app.app.fetch('http://api.coinslot.internal/graphql', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      },
    });
  const post = (origin: string) =>
    app.app.fetch('http://api.coinslot.internal/graphql', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
  const corsHeaders = (response: Response) =>
    [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

  it("allows a game's registered origin and Coinslot's own, without credentials", async () => {
    for (const origin of [GAME_ORIGIN, PUBLIC_URL]) {
      const pre = await preflight(origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(pre.headers.get('access-control-allow-headers')).toContain('idempotency-key');
      expect(pre.headers.get('vary')).toMatch(/origin/i);
      const res = await post(origin);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
    }
  });

  it('gives any other origin no CORS header at all (and still answers the request, with Vary: Origin)', async () => {
    for (const origin of [
      'https://evil.example',
      'null',
      `${GAME_ORIGIN}.evil.example`,
      GAME_ORIGIN.replace('https:', 'http:'),
      `${GAME_ORIGIN}:8443`,
      'https://coinslot.example.test.evil.example',
    ]) {
      const pre = await preflight(origin);
      expect(corsHeaders(pre), origin).toEqual([]);
      const res = await post(origin);
      expect(corsHeaders(res), origin).toEqual([]);
      expect(res.headers.get('vary')).toMatch(/origin/i);
    }
  });

  it('follows updateGame at once on this instance, and within CORS_ORIGINS_TTL elsewhere', async () => {
    const other = await createTestApp({ clock, env: { CORS_ORIGINS_TTL: '30s' } });
    try {
      const originOf = async (target: TestApp, origin: string) =>
        (
          await target.app.fetch('http://api.coinslot.internal/graphql', {
            method: 'POST',
            headers: { origin, 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ __typename }' }),
          })
        ).headers.get('access-control-allow-origin');
      const added = 'https://new.example-game.test';
      expect(await originOf(other, GAME_ORIGIN)).toBe(GAME_ORIGIN); // snapshot taken now
      expect(await originOf(app, added)).toBeNull();
      const res = await app.gql(
        UPDATE_GAME,
        { input: { gameId: game.gameId, allowedOrigins: [added] } },
        {
          token: game.devToken,
        },
      );
      expect(res.data.updateGame.__typename).toBe('UpdateGamePayload');
      // this instance: at once
      expect(await originOf(app, added)).toBe(added);
      expect(await originOf(app, GAME_ORIGIN)).toBeNull();
      // another instance: its snapshot holds until the TTL passes, then a refresh picks the change up
      expect(await originOf(other, added)).toBeNull();
      clock.advance(31_000);
      await originOf(other, added); // answered from the stale snapshot while the refresh runs
      await expect.poll(() => originOf(other, added)).toBe(added);
      expect(await originOf(other, GAME_ORIGIN)).toBeNull();
    } finally {
      await app.gql(
        UPDATE_GAME,
        { input: { gameId: game.gameId, allowedOrigins: [GAME_ORIGIN] } },
        {
          token: game.devToken,
        },
      );
      await other.close();
    }
  });
});
