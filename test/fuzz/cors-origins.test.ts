// Issue 17, item 12's reproduction as a property: whatever Origin a request carries, /graphql sends
// CORS headers only for a registered origin or Coinslot's own, and never allows credentials.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpGame, type GameSetup } from '../helpers/flows.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const REGISTERED = ['https://play.fuzz-game.test', 'https://m.fuzz-game.test:8443'];
const PUBLIC_URL = 'https://coinslot.fuzz.test';

describe('CORS under hostile Origin headers', () => {
  let app: TestApp;
  let game: GameSetup;

  beforeAll(async () => {
    app = await createTestApp({ env: { PUBLIC_URL, GRAPHIQL: 'false', API_RATE_LIMIT_PER_IP: '1000000' } });
    game = await setUpGame(app);
    const res = await app.gql(
      `mutation ($input: UpdateGameInput!) { updateGame(input: $input) { __typename } }`,
      { input: { gameId: game.gameId, allowedOrigins: REGISTERED } },
      { token: game.devToken },
    );
    expect(res.data.updateGame.__typename).toBe('UpdateGamePayload');
  }, 60_000);
  afterAll(() => app?.close());

  const near = (origin: string) =>
    fc.constantFrom(
      origin,
      `${origin}.evil.test`,
      `${origin}/`,
      `${origin} `,
      origin.toUpperCase(),
      origin.replace('https://', 'http://'),
      origin.replace('https://', 'https://evil.'),
      `${origin}:1`,
      `${origin}@evil.test`,
    );
  const origins = fc.oneof(
    ...[...REGISTERED, PUBLIC_URL].map(near),
    fc.webUrl().map((u) => new URL(u).origin),
    fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n\0]/g, '')),
    fc.constantFrom('null', '*', '', 'file://', 'chrome-extension://abc'),
  );

  it('answers CORS for exactly the allowed origins, never with credentials', async () => {
    const allowed = new Set([...REGISTERED, PUBLIC_URL, 'http://api.coinslot.internal']); // the request's own origin too
    await fc.assert(
      fc.asyncProperty(origins, fc.boolean(), async (origin, preflight) => {
        let response: Response;
        try {
          response = await app.app.fetch('http://api.coinslot.internal/graphql', {
            method: preflight ? 'OPTIONS' : 'POST',
            headers: {
              origin,
              'content-type': 'application/json',
              ...(preflight ? { 'access-control-request-method': 'POST' } : {}),
            },
            ...(preflight ? {} : { body: '{"query":"{ __typename }"}' }),
          });
        } catch {
          return; // a header value the fetch API itself refuses never reaches the server
        }
        expect(response.status, origin).toBeLessThan(500);
        expect(response.headers.get('access-control-allow-credentials'), origin).toBeNull();
        const acao = response.headers.get('access-control-allow-origin');
        if (allowed.has(origin)) expect(acao, origin).toBe(origin);
        else expect(acao, JSON.stringify(origin)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
