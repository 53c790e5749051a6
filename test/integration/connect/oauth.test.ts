// Coinslot Connect over plain HTTP: games register origins and redirect URIs; a native app plays the
// OAuth 2.0 authorization code flow with PKCE (RFC 6749, 7636, 8252) as a real client would, and every
// way of misusing a code is refused with the RFC's error shape.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { buyTyped, setUpGame, type GameSetup } from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';

const NATIVE_REDIRECT = 'com.skyhopper.game:/coinslot';
const WEB_ORIGIN = 'https://play.skyhopper.example';

const AUTHORIZE = graphql(`
  mutation Authorize($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) {
      __typename
      ... on AuthorizeGamePayload { gameToken redirectTo authorization { id } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);
const VIEWER = graphql(`query ConnectViewer { viewer { kind player { id } } }`);
const GAME_FIELDS = graphql(
  `query ConnectGame($id: ID!) { node(id: $id) { ... on Game { allowedOrigins redirectUris } } }`,
);
const SIGN_UP_PLAYER = graphql(`
  mutation ConnectSignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } }
  }
`);
const UPDATE_GAME = graphql(`
  mutation ConnectUpdateGame($input: UpdateGameInput!) {
    updateGame(input: $input) {
      __typename
      ... on UpdateGamePayload { game { allowedOrigins redirectUris } }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const ADD_CARD = graphql(`mutation ConnectAddCard($input: AddCardInput!) { addCard(input: $input) { __typename } }`);
const PURCHASE_NODE = graphql(
  `query ConnectPurchase($id: ID!) { node(id: $id) { ... on Purchase { id player { id } } } }`,
);
const PURCHASE_LIST = graphql(
  `query ConnectPurchases($gameId: ID!) { purchases(gameId: $gameId, first: 50) { edges { node { id } } } }`,
);
const INVENTORY = graphql(`query ConnectInventory($gameId: ID!) { inventory(gameId: $gameId) { quantity } }`);

let app: TestApp;
const clock = new ManualClock();
let game: GameSetup;
let otherGame: GameSetup;

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function signUpPlayer(): Promise<{ token: string; id: string }> {
  const res = await app.gql(SIGN_UP_PLAYER, {
    input: { email: uniqueEmail('connect'), password: 'player-password', displayName: 'Pat' },
  });
  const signedUp = expectTypename(res.data.signUpPlayer, 'PlayerAuthPayload');
  return { token: signedUp.token, id: signedUp.player.id };
}

/** What the consent page does when the player taps Allow: authorizeGame with the PKCE fields. */
async function consent(
  playerToken: string,
  gameId: string,
  fields: { redirectUri: string; codeChallenge: string; state: string; codeChallengeMethod?: string },
) {
  const res = await app.gql(
    AUTHORIZE,
    {
      input: {
        gameId,
        oneTapMax: { amount: '500', currency: 'USD' },
        dailyCap: { amount: '5000', currency: 'USD' },
        codeChallengeMethod: 'S256',
        ...fields,
      },
    },
    { token: playerToken },
  );
  expect(res.errors).toBeUndefined();
  return res.data.authorizeGame;
}

async function token(form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, string>,
  };
}

/** A player consents and the app receives a code at its redirect URI. */
async function codeFor(playerToken: string, redirectUri = NATIVE_REDIRECT, of: GameSetup = game) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const payload = expectTypename(
    await consent(playerToken, of.gameId, { redirectUri, codeChallenge: challenge, state }),
    'AuthorizeGamePayload',
  );
  const redirect = new URL(payload.redirectTo!);
  return { verifier, state, redirect, code: redirect.searchParams.get('code')! };
}

/** The game token a native app gets for this player: consent, then the code exchanged with its verifier. */
async function gameTokenFor(playerToken: string): Promise<string | undefined> {
  const { verifier, code } = await codeFor(playerToken);
  const { body } = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: NATIVE_REDIRECT,
    client_id: game.gameId,
    code_verifier: verifier,
  });
  return body.access_token;
}

beforeAll(async () => {
  app = await createTestApp({ listen: true, clock });
  game = await setUpGame(app, undefined, { allowedOrigins: [WEB_ORIGIN], redirectUris: [NATIVE_REDIRECT] });
  otherGame = await setUpGame(app, undefined, { redirectUris: ['com.other.game:/cb'] });
});

afterAll(async () => {
  await app?.close();
});

describe('games register where they run', () => {
  test('createGame and updateGame store exact origins and redirect URIs and show them on Game', async () => {
    const read = await app.gql(GAME_FIELDS, { id: game.gameId }, { token: game.devToken });
    expect(read.data.node).toEqual({ allowedOrigins: [WEB_ORIGIN], redirectUris: [NATIVE_REDIRECT] });
    const updated = await app.gql(
      UPDATE_GAME,
      {
        input: {
          gameId: otherGame.gameId,
          allowedOrigins: ['https://other.example', 'http://localhost:4001', 'http://127.0.0.2:4002'],
          redirectUris: ['com.other.game:/cb', 'https://other.example/app-link'],
        },
      },
      { token: otherGame.devToken },
    );
    expect(expectTypename(updated.data.updateGame, 'UpdateGamePayload').game).toEqual({
      allowedOrigins: ['https://other.example', 'http://localhost:4001', 'http://127.0.0.2:4002'],
      redirectUris: ['com.other.game:/cb', 'https://other.example/app-link'],
    });
  });

  test.each([
    ['allowedOrigins', '*', 'wildcards'],
    ['allowedOrigins', 'https://*.skyhopper.example', 'wildcards'],
    ['allowedOrigins', 'https://play.example/', 'exactly an origin'],
    ['allowedOrigins', 'https://play.example/path', 'exactly an origin'],
    ['allowedOrigins', 'http://play.example', 'https'],
    ['allowedOrigins', 'null', 'origin'],
    ['redirectUris', 'javascript:alert(1)', 'private-use scheme'],
    ['redirectUris', 'com.skyhopper.game:/coinslot#x', 'fragment'],
    ['redirectUris', 'http://evil.example/cb', 'https'],
    ['redirectUris', 'https://*.example/cb', 'wildcards'],
    ['redirectUris', 'myapp:/cb', 'reverse-domain'],
  ] as const)('%s %s is a ValidationError naming the field', async (field, value, words) => {
    const res = await app.gql(
      UPDATE_GAME,
      { input: { gameId: game.gameId, [field]: [value] } },
      { token: game.devToken },
    );
    const [fieldError] = expectTypename(res.data.updateGame, 'ValidationError').fieldErrors;
    expect(fieldError?.path).toBe(`input.${field}.0`);
    expect(fieldError?.message).toContain(words);
    // nothing changed
    const read = await app.gql(GAME_FIELDS, { id: game.gameId }, { token: game.devToken });
    expect(read.data.node).toEqual({ allowedOrigins: [WEB_ORIGIN], redirectUris: [NATIVE_REDIRECT] });
  });
});

describe('a native app connects with a plain HTTP client', () => {
  test('authorize page, consent, redirect to the private-use scheme with state unchanged, code exchange, purchase', async () => {
    const player = await signUpPlayer();
    const { verifier, challenge } = pkce();
    const state = 'opaque state / with spaces & symbols=+?';
    // 1. The app opens the system browser at the authorization endpoint: Coinslot's consent page.
    const authorizeUrl = new URL(`${app.url}/oauth/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: game.gameId,
      redirect_uri: NATIVE_REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    }))
      authorizeUrl.searchParams.set(k, v);
    const page = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain(`frame-ancestors 'self' ${WEB_ORIGIN}`);
    expect(await page.text()).toContain('<div class="sheet">');

    // 2. The player (signed in to Coinslot) taps Allow: the consent returns where to send the browser.
    const payload = expectTypename(
      await consent(player.token, game.gameId, {
        redirectUri: NATIVE_REDIRECT,
        codeChallenge: challenge,
        state,
      }),
      'AuthorizeGamePayload',
    );
    expect(payload.gameToken).toBeNull();
    const redirect = new URL(payload.redirectTo!);
    expect(`${redirect.protocol}${redirect.pathname}`).toBe(NATIVE_REDIRECT);
    expect(redirect.searchParams.get('state')).toBe(state);
    const code = redirect.searchParams.get('code')!;
    expect(code).toMatch(/^ac_[A-Za-z0-9_-]{43}$/);

    // 3. The app exchanges the code with its verifier.
    const exchanged = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: NATIVE_REDIRECT,
      client_id: game.gameId,
      code_verifier: verifier,
    });
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('cache-control')).toBe('no-store');
    expect(exchanged.body).toEqual({
      access_token: expect.stringMatching(/^gt_/),
      token_type: 'Bearer',
      scope: 'purchases',
    });

    // 4. The token acts for this player in this game: a one-tap purchase within the allowance.
    const viewer = await app.gql(VIEWER, {}, { token: exchanged.body.access_token });
    expect(viewer.data.viewer).toEqual({ kind: 'PLAYER_GAME', player: { id: player.id } });
    const addCard = await app.gql(
      ADD_CARD,
      { input: { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123', holderName: 'Pat' } },
      { token: player.token },
    );
    expect(addCard.data.addCard.__typename).toBe('AddCardPayload');
    const bought = await buyTyped(app, game, { gameToken: exchanged.body.access_token! }, game.items.life!);
    expect(expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
  });

  test('the game token works only for its game: another game sees nothing of this player', async () => {
    const player = await signUpPlayer();
    const accessToken = await gameTokenFor(player.token);
    const res = await app.gql(INVENTORY, { gameId: otherGame.gameId }, { token: accessToken });
    expect(res.data?.inventory ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|NOT_FOUND/);
    const bought = await buyTyped(app, otherGame, { gameToken: accessToken! }, otherGame.items.life!);
    const refused = bought.data?.createPurchase;
    expect(refused && 'purchase' in refused ? refused.purchase : undefined).toBeUndefined();
  });

  test('the game token acts only for its player: another player of the same game is not its to buy for or read', async () => {
    const connectPlayer = async () => {
      const player = await signUpPlayer();
      const gameToken = await gameTokenFor(player.token);
      await app.gql(
        ADD_CARD,
        { input: { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123', holderName: 'Pat' } },
        { token: player.token },
      );
      return { ...player, gameToken: gameToken! };
    };
    const alice = await connectPlayer();
    const bob = await connectPlayer();
    const bought = await buyTyped(app, game, { gameToken: bob.gameToken }, game.items.life!);
    const bobsPurchase = expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase;
    expect(bobsPurchase.status).toBe('SUCCEEDED');
    // Bob's token sees Bob's purchase; Alice's token for the same game does not, by id or in her list.
    expect((await app.gql(PURCHASE_NODE, { id: bobsPurchase.id }, { token: bob.gameToken })).data.node).toMatchObject({
      id: bobsPurchase.id,
      player: { id: bob.id },
    });
    const read = await app.gql(PURCHASE_NODE, { id: bobsPurchase.id }, { token: alice.gameToken });
    expect(read.data?.node ?? null).toBeNull();
    const listed = await app.gql(PURCHASE_LIST, { gameId: game.gameId }, { token: alice.gameToken });
    expect(listed.errors).toBeUndefined();
    expect(listed.data.purchases.edges.map((e) => e.node.id)).not.toContain(bobsPurchase.id);
    // What Alice's token buys is Alice's.
    const hers = await buyTyped(app, game, { gameToken: alice.gameToken }, game.items.life!);
    const herPurchase = expectTypename(hers.data.createPurchase, 'PurchasePayload').purchase;
    expect((await app.gql(PURCHASE_NODE, { id: herPurchase.id }, { token: alice.gameToken })).data.node).toMatchObject({
      player: { id: alice.id },
    });
  });
});

describe('misuse of codes is refused (RFC 6749 §5.2 shapes)', () => {
  test('a code used twice is invalid_grant and the token of its first use stops working', async () => {
    const player = await signUpPlayer();
    const { verifier, code } = await codeFor(player.token);
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: NATIVE_REDIRECT,
      client_id: game.gameId,
      code_verifier: verifier,
    };
    const first = await token(form);
    expect(first.status).toBe(200);
    expect((await app.gql(VIEWER, {}, { token: first.body.access_token })).data.viewer.kind).toBe('PLAYER_GAME');
    const second = await token(form);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(second.body.access_token).toBeUndefined();
    const after = await app.gql(VIEWER, {}, { token: first.body.access_token });
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test.each([
    ['a wrong verifier', { code_verifier: randomBytes(32).toString('base64url') }],
    ['a mismatched redirect URI', { redirect_uri: 'com.skyhopper.game:/other' }],
    ['another client', { client_id: 'other' }],
  ])('%s is invalid_grant, issues nothing and burns the code', async (_label, change) => {
    const player = await signUpPlayer();
    const { verifier, code } = await codeFor(player.token);
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: NATIVE_REDIRECT,
      client_id: game.gameId,
      code_verifier: verifier,
    };
    const wrong: Record<string, string> = { ...form, ...change };
    if ('client_id' in change) wrong.client_id = otherGame.gameId;
    const refused = await token(wrong);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
    // The right request afterwards gets nothing either: the code is spent.
    const retried = await token(form);
    expect(retried.status).toBe(400);
    expect(retried.body.error).toBe('invalid_grant');
  });

  test('a code older than 60 seconds is invalid_grant', async () => {
    const player = await signUpPlayer();
    const { verifier, code } = await codeFor(player.token);
    clock.advance(61_000);
    const res = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: NATIVE_REDIRECT,
      client_id: game.gameId,
      code_verifier: verifier,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  test('malformed token requests get invalid_request, invalid_client or unsupported_grant_type', async () => {
    expect((await token({ grant_type: 'authorization_code', client_id: game.gameId })).body.error).toBe(
      'invalid_request',
    );
    expect((await token({ grant_type: 'password', client_id: game.gameId })).body.error).toBe('unsupported_grant_type');
    const unknown = await token({
      grant_type: 'authorization_code',
      client_id: 'R2FtZTpub3BlCg',
      code: 'x',
      redirect_uri: 'x',
      code_verifier: 'x'.repeat(43),
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
    const json = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
  });

  test('consent with a redirect URI the game did not register is a ValidationError on redirectUri', async () => {
    const player = await signUpPlayer();
    const { challenge } = pkce();
    const payload = await consent(player.token, game.gameId, {
      redirectUri: 'com.evil.app:/steal',
      codeChallenge: challenge,
      state: 's',
    });
    expect(expectTypename(payload, 'ValidationError').fieldErrors.map((e) => e.path)).toEqual(['input.redirectUri']);
    const plain = await consent(player.token, game.gameId, {
      redirectUri: NATIVE_REDIRECT,
      codeChallenge: challenge,
      state: 's',
      codeChallengeMethod: 'plain',
    });
    expect(expectTypename(plain, 'ValidationError').fieldErrors.map((e) => e.path)).toEqual([
      'input.codeChallengeMethod',
    ]);
  });

  test('the token endpoint answers CORS for the registered origin only, never *', async () => {
    const player = await signUpPlayer();
    const { verifier, code } = await codeFor(player.token, WEB_ORIGIN);
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: WEB_ORIGIN,
      client_id: game.gameId,
      code_verifier: verifier,
    };
    const res = await token(form, { origin: WEB_ORIGIN });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    const stranger = await token(form, { origin: 'https://evil.example' });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the authorization endpoint never redirects to what the game did not register', () => {
  const base = () => ({
    response_type: 'code',
    client_id: game.gameId,
    redirect_uri: NATIVE_REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 'abc',
  });
  const open = (params: Record<string, string>) =>
    fetch(`${app.url}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });

  test.each([
    ['an unknown game', { client_id: 'R2FtZTpub3BlCg' }],
    ['a malformed client_id', { client_id: '%%%' }],
    ['an unregistered redirect URI', { redirect_uri: 'com.evil.app:/steal' }],
    [
      'an unregistered origin in web_message mode',
      { redirect_uri: 'https://evil.example', response_mode: 'web_message' },
    ],
    ['a redirect URI used as an origin in web_message mode', { response_mode: 'web_message' }],
  ])('%s gets an error page on Coinslot, no redirect', async (_label, change) => {
    const res = await open({ ...base(), ...change });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('Coinslot');
    expect(html).not.toContain('<script');
  });

  test('state is required: without it the consent is a ValidationError and the link goes back with invalid_request', async () => {
    const player = await signUpPlayer();
    const { state: _state, ...withoutState } = base();
    const res = await open(withoutState);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.protocol}${location.pathname}`).toBe(NATIVE_REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
    const payload = await consent(player.token, game.gameId, {
      redirectUri: NATIVE_REDIRECT,
      codeChallenge: pkce().challenge,
      state: '',
    });
    expect(expectTypename(payload, 'ValidationError').fieldErrors.map((e) => e.path)).toEqual(['input.state']);
  });

  test('a registered redirect URI with a bad request goes back with error and the same state', async () => {
    const res = await open({ ...base(), code_challenge_method: 'plain' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.protocol}${location.pathname}`).toBe(NATIVE_REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('abc');
  });

  test('a registered origin in web_message mode opens the consent page', async () => {
    const res = await open({ ...base(), redirect_uri: WEB_ORIGIN, response_mode: 'web_message' });
    expect(res.status).toBe(200);
    // framed, if at all, only by the game's registered origins
    expect(res.headers.get('content-security-policy')).toMatch(new RegExp(`frame-ancestors 'self' ${WEB_ORIGIN}(;|$)`));
  });
});
