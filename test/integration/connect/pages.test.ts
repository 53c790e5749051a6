// Coinslot's pages for a game on a foreign origin: who may frame them (frame-ancestors from the game's
// registered origins) and where they may post (an unregistered `origin` gets an error page, never the
// pay sheet), and the browser SDK served to every game.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { buyTyped as buy, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { expectTypename } from '../../helpers/graphql.js';

const GAME_ORIGIN = 'https://play.skyhopper.example';
const SECOND_ORIGIN = 'http://localhost:4001';
const NATIVE_REDIRECT = 'com.skyhopper.game:/coinslot';

let app: TestApp;
let game: GameSetup;
let bare: GameSetup;
let purchaseId: string;

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${app.url}${path}`, { redirect: 'manual', headers });

beforeAll(async () => {
  app = await createTestApp({ listen: true });
  game = await setUpGame(app, undefined, {
    allowedOrigins: [GAME_ORIGIN, SECOND_ORIGIN],
    redirectUris: [NATIVE_REDIRECT],
  });
  bare = await setUpGame(app);
  // Above the allowance: a purchase that waits in the pay sheet.
  const player = await setUpPlayer(app, game, { oneTapMax: '0' });
  const { purchase } = expectTypename(
    (await buy(app, game, player, game.items.skin!)).data.createPurchase,
    'PurchasePayload',
  );
  expect(purchase.status).toBe('REQUIRES_CONFIRMATION');
  purchaseId = purchase.id;
});

afterAll(async () => {
  await app?.close();
});

function frameAncestors(response: Response): string {
  const csp = response.headers.get('content-security-policy') ?? '';
  return /frame-ancestors ([^;]*)/.exec(csp)?.[1] ?? '';
}

describe('the pay sheet of a purchase', () => {
  test("may be framed by Coinslot and the purchase's game's registered origins only", async () => {
    const page = await get(`/pay/${purchaseId}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(frameAncestors(page).split(' ').sort()).toEqual(["'self'", GAME_ORIGIN, SECOND_ORIGIN].sort());
    // X-Frame-Options cannot list origins: not sent when origins are allowed (CSP decides)
    expect(page.headers.get('x-frame-options')).toBeNull();
  });

  test("a purchase of a game without origins, an unknown purchase, /pay/cards: 'self' only", async () => {
    const player = await setUpPlayer(app, bare, { oneTapMax: '0' });
    const res = await buy(app, bare, player, bare.items.skin!);
    const own = await get(`/pay/${expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.id}`);
    expect(frameAncestors(own)).toBe("'self'");
    expect(own.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    for (const path of ['/pay/pur_00000000000000000000000000', '/pay/not-an-id', '/pay/cards', '/pay/']) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(frameAncestors(page), path).toBe("'self'");
    }
    const cards = await get(`/pay/cards?client_id=${encodeURIComponent(game.gameId)}`);
    expect(frameAncestors(cards).split(' ')).toContain(GAME_ORIGIN);
  });

  test('with a registered origin the page is served; with any other origin Coinslot shows an error page', async () => {
    const registered = await get(`/pay/${purchaseId}?origin=${encodeURIComponent(SECOND_ORIGIN)}`);
    expect(registered.status).toBe(200);
    expect(await registered.text()).toContain('<div class="sheet">');
    for (const origin of ['https://evil.example', `${GAME_ORIGIN}/`, 'https://play.skyhopper.example:444', '*']) {
      const refused = await get(`/pay/${purchaseId}?origin=${encodeURIComponent(origin)}`);
      expect(refused.status, origin).toBe(400);
      const body = await refused.text();
      expect(body, origin).not.toContain('<div class="sheet">');
      expect(body).toContain('did not register this website');
      expect(frameAncestors(refused)).toBe("'none'");
    }
    // A purchase of another game cannot borrow this game's origin, even with its client_id.
    const player = await setUpPlayer(app, bare, { oneTapMax: '0' });
    const other = expectTypename(
      (await buy(app, bare, player, bare.items.skin!)).data.createPurchase,
      'PurchasePayload',
    );
    const borrowed = await get(
      `/pay/${other.purchase.id}?client_id=${encodeURIComponent(game.gameId)}&origin=${encodeURIComponent(GAME_ORIGIN)}`,
    );
    expect(borrowed.status).toBe(400);
    // /pay/cards: the origin is checked against client_id's game.
    expect((await get(`/pay/cards?client_id=${game.gameId}&origin=${encodeURIComponent(GAME_ORIGIN)}`)).status).toBe(
      200,
    );
    expect((await get(`/pay/cards?client_id=${bare.gameId}&origin=${encodeURIComponent(GAME_ORIGIN)}`)).status).toBe(
      400,
    );
    expect((await get(`/pay/cards?origin=${encodeURIComponent(GAME_ORIGIN)}`)).status).toBe(400);
  });
});

describe('the pay sheet in redirect mode', () => {
  test("goes back only to one of the purchase's game's registered origins or redirect URIs", async () => {
    const open = (redirectUri: string, path = `/pay/${purchaseId}`) =>
      get(`${path}?redirect_uri=${encodeURIComponent(redirectUri)}&state=s`);
    for (const registered of [GAME_ORIGIN, SECOND_ORIGIN, NATIVE_REDIRECT]) {
      const page = await open(registered);
      expect(page.status, registered).toBe(200);
      expect(await page.text()).toContain('<div class="sheet">');
    }
    for (const stranger of [
      'https://evil.example',
      `${GAME_ORIGIN}/elsewhere`,
      'com.skyhopper.game:/other',
      'javascript:alert(1)',
    ]) {
      const refused = await open(stranger);
      expect(refused.status, stranger).toBe(400);
      expect(refused.headers.get('location')).toBeNull();
      const body = await refused.text();
      expect(body, stranger).not.toContain('<div class="sheet">');
      expect(body).toContain('did not register this address');
    }
    // A game without registrations, and /pay/cards of a game, by its client_id.
    const player = await setUpPlayer(app, bare, { oneTapMax: '0' });
    const other = expectTypename(
      (await buy(app, bare, player, bare.items.skin!)).data.createPurchase,
      'PurchasePayload',
    );
    expect((await open(GAME_ORIGIN, `/pay/${other.purchase.id}`)).status).toBe(400);
    expect(
      (await get(`/pay/cards?client_id=${game.gameId}&redirect_uri=${encodeURIComponent(GAME_ORIGIN)}`)).status,
    ).toBe(200);
    expect(
      (await get(`/pay/cards?client_id=${bare.gameId}&redirect_uri=${encodeURIComponent(GAME_ORIGIN)}`)).status,
    ).toBe(400);
  });
});

describe('the consent page', () => {
  test("frame-ancestors are the game's registered origins and 'self'", async () => {
    const url = new URL(`${app.url}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: game.gameId,
      redirect_uri: GAME_ORIGIN,
      response_mode: 'web_message',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'xyz',
    }).toString();
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(frameAncestors(page).split(' ').sort()).toEqual(["'self'", GAME_ORIGIN, SECOND_ORIGIN].sort());
  });
});

describe('coinslot.js', () => {
  test('is served as a JavaScript module any game may load (CORS *), with its source map', async () => {
    const sdk = await get('/sdk/coinslot.js', { origin: 'https://anywhere.example' });
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(sdk.headers.get('access-control-allow-origin')).toBe('*');
    const code = await sdk.text();
    expect(code).toContain('export');
    expect(code).toContain('createCoinslot');
    expect(code).toContain('code_challenge_method');
    expect(code).not.toMatch(/^import /m);
    expect((await get('/sdk/coinslot.js.map')).status).toBe(200);
    expect((await get('/sdk/other.js')).headers.get('content-type')).not.toContain('javascript');
  });
});

describe('a game on another origin calls the API over real HTTP', () => {
  test('the CORS preflight of /graphql is answered, and a chunked body (no Content-Length) is read', async () => {
    const preflight = await fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: SECOND_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(SECOND_ORIGIN);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ query: '{ __typename }' })));
        controller.close();
      },
    });
    const chunked = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: SECOND_ORIGIN },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(200);
    expect(await chunked.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
