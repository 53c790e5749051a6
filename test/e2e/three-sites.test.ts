// Coinslot Connect across three sites in one Chromium profile: Coinslot on 127.0.0.1, Comet Dodge on
// localhost, Star Garden on 127.0.0.2, each game loading coinslot.js from Coinslot. A new player
// connects the first game (sign-up, card, allowance) and buys with one tap; the second game then
// connects with nothing typed and two taps (the saved card shown) and buys with one tap; a purchase
// above its allowance is confirmed in Coinslot's window and the game learns the outcome. And what a
// site the games did not register gets: no message, no framing, and nothing of what Coinslot's windows
// post to a game even when it opens them with the game's own URL. And with popups blocked, connect goes
// through a redirect of the game's tab to Coinslot and back. Screenshots go to test-results/e2e/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDemoSite, type DemoSite } from '../../src/composition/index.js';
import { graphql } from '../helpers/graphql.js';
import { createTestApp, uniqueEmail, type TestApp } from '../helpers/test-app.js';
import { cometDodge, Phone, thirdPartyGame, type ThirdPartyGame } from './demo-game-flows.js';

const GARDEN_ITEMS = [
  { sku: 'heart-bloom', name: 'Heart bloom', kind: 'CONSUMABLE', prices: [{ amount: '149', currency: 'EUR' }] },
  { sku: 'golden-can', name: 'Golden watering can', kind: 'DURABLE', prices: [{ amount: '999', currency: 'EUR' }] },
  {
    sku: 'seed-bag',
    name: 'Bag of 200 seeds',
    kind: 'CURRENCY_PACK',
    prices: [{ amount: '299', currency: 'EUR' }],
    grants: { amount: '200', currency: 'SEED' },
  },
] as const;

const PURCHASES = graphql(`
  query ThreeSitesPurchases($gameId: ID!) {
    purchases(gameId: $gameId, first: 50) { edges { node { status item { sku } } } }
  }
`);

let app: TestApp;
let comet: ThirdPartyGame;
let garden: ThirdPartyGame;
let stranger: DemoSite;
let phone: Phone;

async function succeeded(game: ThirdPartyGame, token: string, sku: string): Promise<number> {
  const res = await app.gql(PURCHASES, { gameId: game.gameId }, { token });
  expect(res.errors).toBeUndefined();
  const { edges } = res.data.purchases;
  return edges.filter((e) => e.node.item.sku === sku && e.node.status === 'SUCCEEDED').length;
}

beforeAll(async () => {
  app = await createTestApp({ listen: true });
  comet = await cometDodge(app);
  garden = await thirdPartyGame(app, {
    name: 'Star Garden',
    theme: 'garden',
    currency: 'EUR',
    virtualCurrency: { code: 'SEED', name: 'Seeds' },
    items: GARDEN_ITEMS,
    host: '127.0.0.2',
  });
  // A site no game registered, dressed as Star Garden (same game id): Coinslot must not answer it.
  stranger = await startDemoSite({
    host: '127.0.0.3',
    port: 0,
    config: {
      apiOrigin: app.url!,
      gameId: garden.gameId,
      publishableKey: garden.publishableKey,
      name: 'Not Star Garden',
      theme: 'garden',
      sandbox: true,
    },
  });
  phone = await Phone.open('three-sites');
}, 180_000);

afterAll(async () => {
  await phone?.close();
  await Promise.all([comet?.site.close(), garden?.site.close(), stranger?.close()]);
  await app?.close();
});

describe('one Coinslot account across games on three sites', () => {
  test('game 1: sign up, card, allowance in Coinslot’s window, and the extra life is bought with that one tap', async () => {
    const { page } = phone;
    await page.goto(comet.url);
    await phone.openShop();
    await phone.buyButton('Extra life').waitFor();
    await phone.shot('comet-shop');
    await phone.buyButton('Extra life').click();
    await phone.connectInSheet({ email: uniqueEmail('three-sites'), card: '4242 4242 4242 4242', oneTapMax: '$2' });
    await expect
      .poll(() => phone.itemNote('Extra life').textContent(), { timeout: 15_000 })
      .toContain('Extra life saved');
    await phone.shot('comet-bought');
    // Coinslot's window was Coinslot's own origin, top-level.
    expect(new URL(phone.popups[0]!.url() || app.url!).origin).toBe(app.url);
    const token = (await phone.gameToken())!;
    expect(token).toMatch(/^gt_/);
    expect(await succeeded(comet, token, 'extra-life')).toBe(1);
    expect(phone.errors).toEqual([]);
  }, 90_000);

  test('game 2 on another site: connects with 0 fields typed and 2 taps (saved card shown), buys with one tap', async () => {
    const { page } = phone;
    await page.goto(garden.url);
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('garden');
    await phone.openShop();
    await phone.buyButton('Heart bloom').waitFor();
    await phone.shot('garden-shop');
    // Tap 1: Buy. Coinslot's window opens already signed in (first-party session on Coinslot's origin).
    await phone.buyButton('Heart bloom').click();
    const consent = await phone.sheet();
    await consent.getByRole('heading', { name: 'Allow Star Garden to charge with one tap?' }).waitFor();
    await expect.poll(() => consent.locator('.card-line').textContent()).toContain('•• 4242');
    // The allowance is in the game's currency.
    await expect.poll(() => consent.locator('.choices').first().textContent()).toContain('€');
    const typed = await consent.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('input[type=text], input[type=email], input[type=password]')]
        .map((i) => i.value)
        .filter((v) => v !== ''),
    );
    expect(typed).toEqual([]);
    await phone.shotOf(consent, 'garden-consent-saved-card');
    // Tap 2: Allow. Nothing else: the window closes, the game exchanges the code and finishes the purchase.
    await consent.getByRole('button', { name: 'Allow one-tap purchases' }).click();
    await expect.poll(() => consent.isClosed(), { timeout: 15_000 }).toBe(true);
    await expect
      .poll(() => phone.itemNote('Heart bloom').textContent(), { timeout: 15_000 })
      .toContain('Extra life saved');
    await phone.shot('garden-bought');
    const token = (await page.evaluate(() => localStorage.getItem('comet-dodge.gameToken')))!;
    expect(token).toMatch(/^gt_/);
    expect(await succeeded(garden, token, 'heart-bloom')).toBe(1);
    // Game 1's token is not game 2's.
    expect(await succeeded(garden, token, 'extra-life')).toBe(0);

    // One tap again, within the allowance: no window at all.
    const popups = phone.popups.length;
    await phone.buyButton('Bag of 200 seeds').click();
    await expect.poll(() => phone.itemNote('Bag of 200 seeds').textContent(), { timeout: 15_000 }).toContain('added');
    expect(phone.popups.length).toBe(popups);
    expect(phone.errors).toEqual([]);
  }, 90_000);

  test('above the allowance: confirmed in Coinslot’s window, and the game learns the outcome', async () => {
    await phone.buyButton('Golden watering can').click();
    const pay = await phone.sheet();
    expect(new URL(pay.url()).origin).toBe(app.url);
    await pay.getByRole('heading', { name: 'Confirm purchase' }).waitFor();
    expect(await pay.locator('.price').textContent()).toBe('€9.99');
    await phone.shotOf(pay, 'garden-confirm');
    await pay.getByRole('button', { name: 'Pay €9.99' }).click();
    // The pay sheet posted the outcome to the game's registered origin; the game closed the window.
    await expect.poll(() => pay.isClosed(), { timeout: 15_000 }).toBe(true);
    await expect
      .poll(() => phone.itemNote('Golden watering can').textContent(), { timeout: 15_000 })
      .toContain('New look on');
    await phone.shot('garden-confirmed');
    const token = (await phone.page.evaluate(() => localStorage.getItem('comet-dodge.gameToken')))!;
    expect(await succeeded(garden, token, 'golden-can')).toBe(1);
    expect(phone.errors).toEqual([]);
  }, 60_000);

  test('a site the game did not register gets no message and cannot frame the pay sheet; a registered one can', async () => {
    const { page } = phone;
    // The stranger opens the consent for Star Garden as if it were its site: Coinslot says no, posts nothing.
    await page.goto(`${stranger.origin}/`);
    const received = await page.evaluate(async (coinslot) => {
      const messages: unknown[] = [];
      window.addEventListener('message', (event) => messages.push(event.data));
      const url = new URL('/oauth/authorize', coinslot);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: new URLSearchParams(location.search).get('gameId') ?? '',
        redirect_uri: location.origin,
        response_mode: 'web_message',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'stranger',
      }).toString();
      return { url: url.href, messages };
    }, app.url!);
    expect(received.messages).toEqual([]);
    const config = (await (await fetch(`${stranger.origin}/demo-config.json`)).json()) as { gameId: string };
    const authorize = new URL(received.url);
    authorize.searchParams.set('client_id', config.gameId);
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.evaluate((href) => {
        (window as unknown as { got: unknown[] }).got = [];
        window.addEventListener('message', (event) => (window as unknown as { got: unknown[] }).got.push(event.data));
        window.open(href, 'coinslot', 'popup');
      }, authorize.href),
    ]);
    await popup.getByRole('heading', { name: 'Coinslot cannot connect this game from here' }).waitFor();
    await popup.screenshot({ path: 'test-results/e2e/three-sites-stranger-refused.png' });
    await popup.close();
    expect(await page.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);

    // Framing /pay: Chromium refuses it under the stranger (frame-ancestors), allows it under game 2.
    const framed = async (origin: string, withOrigin: boolean): Promise<number> => {
      await page.goto(`${origin}/`);
      await page.evaluate(
        (src) => {
          const frame = document.createElement('iframe');
          frame.src = src;
          frame.title = 'framed';
          document.body.append(frame);
        },
        `${app.url}/pay/cards?client_id=${encodeURIComponent(garden.gameId)}${withOrigin ? `&origin=${encodeURIComponent(origin)}` : ''}`,
      );
      const frame = await expect
        .poll(() => page.frames().find((f) => f.url().includes('/pay/cards') || f.url().startsWith('chrome-error')), {
          timeout: 10_000,
        })
        .toBeTruthy()
        .then(() => page.frames().find((f) => f !== page.mainFrame())!);
      await frame.waitForLoadState('domcontentloaded').catch(() => undefined);
      // The page itself: loaded and running (not Chromium's refusal page, not the page's own refusal).
      const count = await frame.locator('div.sheet').count();
      return count;
    };
    expect(await framed(stranger.origin, false)).toBe(0);
    expect(await framed(garden.origin, true)).toBe(1);
  }, 60_000);
});

describe('Coinslot’s windows post only to the exact registered origin that opened them', () => {
  interface Received {
    readonly origin: string;
    readonly data: Record<string, string>;
  }

  /** Opens `href` as a popup from a page of `site`, which records every message it receives. */
  async function openFrom(site: string, href: string): Promise<Page> {
    const { page } = phone;
    await page.goto(`${site}/`);
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.evaluate((url) => {
        const got: unknown[] = [];
        (window as unknown as { got: unknown[] }).got = got;
        window.addEventListener('message', (event) => got.push({ origin: event.origin, data: event.data }));
        window.open(url, 'coinslot-test', 'popup');
      }, href),
    ]);
    await popup.waitForLoadState('domcontentloaded');
    return popup;
  }

  const received = () => phone.page.evaluate(() => (window as unknown as { got: Received[] }).got);

  /** The consent for Star Garden in web_message mode, answered to Star Garden's registered origin. */
  const consentUrl = (state: string) => {
    const url = new URL('/oauth/authorize', app.url!);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: garden.gameId,
      redirect_uri: garden.origin,
      response_mode: 'web_message',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state,
    }).toString();
    return url.href;
  };

  async function allow(popup: Page): Promise<void> {
    await popup.getByRole('heading', { name: 'Allow Star Garden to charge with one tap?' }).waitFor();
    await popup.getByRole('button', { name: 'Allow one-tap purchases' }).click();
    await expect.poll(() => popup.isClosed(), { timeout: 15_000 }).toBe(true);
  }

  test('the consent: the game’s own page gets code and state unchanged; a stranger with the same link gets nothing', async () => {
    const state = 'opaque / state with spaces & symbols=+?é';
    await allow(await openFrom(garden.origin, consentUrl(state)));
    await expect.poll(async () => (await received()).length, { timeout: 10_000 }).toBe(1);
    const [answer] = await received();
    expect(answer!.origin).toBe(app.url);
    expect(answer!.data).toEqual({ type: 'coinslot:authorization', code: expect.stringMatching(/^ac_/), state });

    // The stranger opens the very same consent (Star Garden's registered origin as redirect_uri): the
    // player allows, Coinslot posts to Star Garden's origin, and the browser delivers it to no one else.
    await allow(await openFrom(stranger.origin, consentUrl('stranger')));
    await phone.page.waitForTimeout(1000);
    expect(await received()).toEqual([]);
  }, 60_000);

  test('the pay sheet: its messages reach the game’s registered origin, never a stranger that opened it', async () => {
    const cards = `${app.url}/pay/cards?client_id=${encodeURIComponent(garden.gameId)}&origin=${encodeURIComponent(garden.origin)}`;
    /** Taps the sheet's close button, which posts coinslot:close to the game and closes the window. */
    const closeFromInside = async (popup: Page): Promise<void> => {
      await popup.getByRole('heading', { name: 'Your cards' }).waitFor();
      // A click that ends with its window gone is a click done.
      await popup
        .locator('#close')
        .click()
        .catch((error: unknown) => {
          if (!popup.isClosed()) throw error;
        });
      await expect.poll(() => popup.isClosed(), { timeout: 10_000 }).toBe(true);
    };
    // The game's own page: the sheet's message arrives, from Coinslot's origin.
    await closeFromInside(await openFrom(garden.origin, cards));
    await expect
      .poll(received, { timeout: 10_000 })
      .toContainEqual({ origin: app.url, data: { type: 'coinslot:close' } });
    // A stranger that opened the very same URL gets nothing.
    await closeFromInside(await openFrom(stranger.origin, cards));
    await phone.page.waitForTimeout(1000);
    expect(await received()).toEqual([]);
  }, 60_000);
});

describe('popups blocked: connect and confirm go through a redirect to Coinslot and back', () => {
  const storedToken = () => phone.page.evaluate(() => localStorage.getItem('comet-dodge.gameToken'));

  test('an answer in the address that no connect of this tab started is refused and changes nothing', async () => {
    const { page } = phone;
    await page.goto(garden.url);
    const before = await storedToken();
    expect(before).toMatch(/^gt_/);
    await page.goto(`${garden.url}?code=ac_forged&state=forged`);
    await expect.poll(() => page.locator('#toast').textContent()).toContain('does not match a connect started here');
    // The answer left the address bar; the game kept its token.
    expect(new URL(page.url()).search).toBe('');
    expect(await storedToken()).toBe(before);
    expect(phone.errors).toEqual([]);
  }, 30_000);

  test('Buy in a game without a token: the tab goes to Coinslot, Allow, back with the token, one tap buys', async () => {
    const { page } = phone;
    // This game page cannot open windows (a strict popup blocker): coinslot.js falls back to a redirect.
    await page.addInitScript((origin) => {
      if (location.origin === origin) window.open = () => null;
    }, garden.origin);
    await page.goto(garden.url);
    const before = await storedToken();
    await page.evaluate(() => localStorage.removeItem('comet-dodge.gameToken'));
    await page.reload();
    await phone.openShop();
    const popups = phone.popups.length;
    await phone.buyButton('Heart bloom').click();
    // The same tab, top-level on Coinslot: the player's first-party session, the saved card, one tap.
    await page.waitForURL((url) => url.origin === app.url && url.pathname === '/oauth/authorize');
    const authorize = new URL(page.url());
    expect(authorize.searchParams.get('response_mode')).toBeNull();
    expect(authorize.searchParams.get('redirect_uri')).toBe(garden.origin);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    await page.getByRole('heading', { name: 'Allow Star Garden to charge with one tap?' }).waitFor();
    await expect.poll(() => page.locator('.card-line').textContent()).toContain('•• 4242');
    // A lower one-tap limit this time, so that the next test's seed bag needs a confirmation.
    await page.getByRole('radio', { name: '€2', exact: true }).check();
    await phone.shot('garden-redirect-consent');
    await page.getByRole('button', { name: 'Allow one-tap purchases' }).click();
    // Back on the game's registered origin; the game exchanged the code and cleaned the address.
    await page.waitForURL((url) => url.origin === garden.origin);
    await expect.poll(storedToken, { timeout: 15_000 }).toMatch(/^gt_/);
    const token = (await storedToken())!;
    expect(token).not.toBe(before);
    expect(new URL(page.url()).search).toBe('');
    await expect.poll(() => page.locator('#toast').textContent()).toContain('Coinslot connected');
    expect(phone.popups.length).toBe(popups);
    // The token this player's earlier connect issued for this game stopped: the new one replaced it.
    expect(
      (await app.gql(PURCHASES, { gameId: garden.gameId }, { token: before! })).errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');
    await phone.openShop();
    await phone.buyButton('Heart bloom').click();
    await expect
      .poll(() => phone.itemNote('Heart bloom').textContent(), { timeout: 15_000 })
      .toContain('Extra life saved');
    await phone.shot('garden-redirect-bought');
    expect(await succeeded(garden, token, 'heart-bloom')).toBe(2);
    expect(phone.errors).toEqual([]);
  }, 60_000);

  test('above the allowance, blocked even from a tap: the tab goes to /pay, the player pays, and back with the outcome', async () => {
    const { page } = phone;
    const token = (await storedToken())!;
    const popups = phone.popups.length;
    await phone.openShop();
    // Blocked without a tap (the game waited on the network): the game asks for one.
    await phone.buyButton('Bag of 200 seeds').click();
    const confirmTap = page.getByRole('button', { name: 'Confirm in Coinslot' });
    await confirmTap.waitFor();
    // Blocked from the tap too: coinslot.js sends this tab to Coinslot's pay sheet in redirect mode.
    await confirmTap.click();
    await page.waitForURL((url) => url.origin === app.url && url.pathname.startsWith('/pay/'));
    const sheet = new URL(page.url());
    expect(sheet.searchParams.get('redirect_uri')).toBe(garden.origin);
    expect(sheet.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    await page.getByRole('heading', { name: 'Confirm purchase' }).waitFor();
    await phone.shot('garden-redirect-confirm');
    await page.getByRole('button', { name: 'Pay €2.99' }).click();
    await page.getByRole('heading', { name: 'Paid' }).waitFor();
    // The sheet goes back to the registered redirect URI with the outcome; the game says it and cleans up.
    await page.waitForURL((url) => url.origin === garden.origin, { timeout: 15_000 });
    await expect.poll(() => page.locator('#toast').textContent()).toContain('Paid in Coinslot');
    expect(new URL(page.url()).search).toBe('');
    expect(phone.popups.length).toBe(popups);
    expect(await succeeded(garden, token, 'seed-bag')).toBe(2);
    await phone.shot('garden-redirect-confirmed');
    // An outcome in the address that no confirm of this tab started is refused.
    const purchaseId = sheet.pathname.split('/')[2]!;
    await page.goto(`${garden.url}?purchase_id=${purchaseId}&status=SUCCEEDED&state=forged`);
    await expect.poll(() => page.locator('#toast').textContent()).toContain('does not match a confirm started here');
    expect(phone.errors).toEqual([]);
  }, 60_000);
});
