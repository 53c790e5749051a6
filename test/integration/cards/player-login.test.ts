import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTypename, graphql, type ResultOf } from '../../helpers/graphql.js';
import { createTestApp, uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { LOG_IN_PLAYER, signUpPlayer } from './flows.js';

const VIEWER = graphql(`query LoginViewer { viewer { kind player { displayName email } } }`);
const VIEWER_KIND = graphql(`query LoginViewerKind { viewer { kind } }`);
const LOG_OUT = graphql(`mutation LoginLogOut { logOut }`);

let app: TestApp;
beforeAll(async () => {
  // Listening on a real port, so that requests carry a peer address and the per-IP window applies.
  app = await createTestApp({ listen: true });
});
afterAll(() => app?.close());

async function logIn(email: string, password: string): Promise<ResultOf<typeof LOG_IN_PLAYER>['logInPlayer']> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: print(LOG_IN_PLAYER), variables: { input: { email, password } } }),
  });
  const body = (await response.json()) as { data: ResultOf<typeof LOG_IN_PLAYER> };
  return body.data.logInPlayer;
}

describe('player sign-in', () => {
  it('logs in, reads the viewer and logs out; the session token then stops working', async () => {
    const player = await signUpPlayer(app, 'Session Sam');
    const session = expectTypename(await logIn(player.email, player.password), 'PlayerAuthPayload');
    expect(session.token).toMatch(/^ps_/);
    const viewer = await app.gql(VIEWER, {}, { token: session.token });
    expect(viewer.data.viewer).toEqual({ kind: 'PLAYER', player: { displayName: 'Session Sam', email: player.email } });
    expect((await app.gql(LOG_OUT, {}, { token: session.token })).data.logOut).toBe(true);
    expect((await app.gql(VIEWER_KIND, {}, { token: session.token })).status).toBe(401);
    // The sign-up session is a session of its own and still works.
    expect((await app.gql(VIEWER_KIND, {}, { token: player.token })).data.viewer.kind).toBe('PLAYER');
  });

  it('throttles an account after 5 failed logins, whatever the password', async () => {
    const player = await signUpPlayer(app);
    for (let i = 0; i < 5; i++) {
      const failed = await app.gql(LOG_IN_PLAYER, { input: { email: player.email, password: `wrong-password-${i}` } });
      expect(failed.data.logInPlayer.__typename).toBe('InvalidCredentials');
      // not limited yet: no login quota shown
      expect(failed.headers.get('ratelimit') ?? '').not.toContain('"login"');
    }
    const response = await app.gql(LOG_IN_PLAYER, { input: { email: player.email, password: player.password } });
    const blocked = expectTypename(response.data.logInPlayer, 'RateLimited');
    expect(blocked).toMatchObject({ __typename: 'RateLimited', code: 'RATE_LIMITED', retryable: true });
    expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
    expect(blocked.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    // the typed answer stays HTTP 200, and its headers say the same as its body (IETF RateLimit fields)
    expect(response.status).toBe(200);
    expect(response.headers.get('retry-after')).toBe(String(blocked.retryAfterSeconds));
    expect(response.headers.get('ratelimit-policy')).toContain('"login";q=5;w=900');
    expect(response.headers.get('ratelimit')).toContain(`"login";r=0;t=${blocked.retryAfterSeconds}`);
  });

  // Last in the file: it leaves this app's one peer address throttled.
  it('throttles an IP after 5 failed logins across accounts', async () => {
    const victim = await signUpPlayer(app);
    for (let i = 0; i < 5; i++) {
      expect((await logIn(uniqueEmail('guess'), 'wrong-password-0')).__typename).toBe('InvalidCredentials');
    }
    const blocked = await logIn(victim.email, victim.password);
    expect(blocked).toMatchObject({ __typename: 'RateLimited', code: 'RATE_LIMITED' });
  });
});
