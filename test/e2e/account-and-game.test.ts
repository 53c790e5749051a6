// The demo game and the player's Coinslot account together, in phone-sized Chromium against a real
// Coinslot: the keyboard through the game, the pay sheet and the account page; the pay sheet saying why
// it asks; an allowance changed on /account that the game's next purchase follows; a gift arriving in a
// friend's game while it runs; disconnecting the game on /account, after which the game's next call is
// refused and it asks to connect again. axe-core runs on every screen; screenshots go to test-results/e2e/.
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphql } from '../helpers/graphql.js';
import { createTestApp, uniqueEmail, type TestApp } from '../helpers/test-app.js';
import { axeSerious, cometDodge, Phone, type ThirdPartyGame } from './demo-game-flows.js';

let app: TestApp;
let game: ThirdPartyGame;
let gameUrl: string;
let gameId: string;
let pat: Phone;
let sam: Phone;
/** Pat's Coinslot account page, a second tab in Pat's browser (the same Coinslot sign-in as the pay sheet). */
let account: Page;

const PLAYER_STATE = graphql(`
  query KeysPlayerState($gameId: ID!) {
    inventory(gameId: $gameId) { quantity item { sku } }
    wallet(gameId: $gameId) { amount currency }
  }
`);
const RECENT_PURCHASES = graphql(`
  query KeysRecentPurchases($g: ID!) { purchases(gameId: $g, first: 5) { edges { node { id status } } } }
`);

/** Presses a key in Coinslot's window that may close it before the key is released. */
async function pressClosing(popup: Page, key: string): Promise<void> {
  await popup.keyboard.press(key).catch((error: unknown) => {
    if (!popup.isClosed()) throw error;
  });
}

/** True when no Coinslot window the game opened is still open. */
function noSheetOpen(phone: Phone): boolean {
  return phone.popups.every((popup) => popup.isClosed());
}

/** The element that has focus: its name, and whether it shows a focus ring (outline or box-shadow). */
async function focused(target: Page | Frame): Promise<{ name: string; tag: string; ring: boolean } | null> {
  return target.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body || el.tagName === 'IFRAME') return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
    return {
      name: (el.getAttribute('aria-label') ?? el.textContent ?? el.id ?? '').trim().replace(/\s+/g, ' ').slice(0, 60),
      tag: el.tagName.toLowerCase(),
      ring: outline || (style.boxShadow !== 'none' && style.boxShadow !== ''),
    };
  });
}

/** Presses Tab `count` times in `page` and returns the stops in `target`; every stop must show a focus ring. */
async function tabStops(page: Page, target: Page | Frame, count: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    const stop = await focused(target);
    if (!stop) continue;
    expect(stop.ring, `a visible focus ring on ${stop.tag} "${stop.name}"`).toBe(true);
    seen.push(stop.name);
  }
  return seen;
}

async function phase(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.body.dataset.phase);
}

beforeAll(async () => {
  // Coinslot on 127.0.0.1; the game on its own site (localhost) with its origin registered.
  app = await createTestApp({ listen: true });
  game = await cometDodge(app);
  gameId = game.gameId;
  gameUrl = game.url;
  pat = await Phone.open('keys');
}, 180_000);

afterAll(async () => {
  await sam?.close();
  await pat?.close();
  await game?.site.close();
  await app?.close();
});

describe('the game, the pay sheet and the account page together', () => {
  test('every game screen passes axe; the keyboard plays, pauses, opens and closes the shop', async () => {
    const { page } = pat;
    await page.goto(gameUrl);
    await page.getByRole('button', { name: 'Play' }).waitFor();
    await pat.shot('start');
    await pat.expectAccessible('the start screen');
    // Focus starts on Play, and Enter starts the run.
    expect((await focused(page))?.name).toBe('Play');
    await page.keyboard.press('Enter');
    await expect.poll(() => phase(page)).toBe('running');
    await pat.shot('playing');
    await pat.expectAccessible('the game while playing');
    await page.keyboard.press('p');
    await expect.poll(() => phase(page)).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).first().waitFor();
    await pat.shot('paused');
    await pat.expectAccessible('the paused screen');

    // Tab to the paused screen's Shop button, Enter opens the shop, Escape closes it and focus comes back.
    for (let i = 0; i < 10 && (await focused(page))?.name !== 'Shop'; i++) await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ name: 'Shop', ring: true });
    await page.keyboard.press('Enter');
    const shop = page.getByRole('dialog', { name: 'Shop' });
    await expect.poll(() => shop.isVisible()).toBe(true);
    await page.getByRole('list', { name: 'Items for sale' }).getByRole('listitem').first().waitFor();
    await pat.buyButton('Extra life').waitFor();
    await pat.shot('shop');
    await pat.expectAccessible('the shop, not connected');
    const stops = await tabStops(page, page, 6);
    expect(stops.length).toBeGreaterThan(3);
    await page.keyboard.press('Escape');
    await expect.poll(() => shop.isVisible()).toBe(false);
    expect((await focused(page))?.name).toBe('Shop');

    // Game over: resume and let the rocks win (no input), then the game-over screen is checked too.
    await page.keyboard.press('Escape');
    await expect.poll(() => phase(page)).toBe('running');
    await expect.poll(() => phase(page), { timeout: 90_000, interval: 500 }).toBe('over');
    await page.getByRole('button', { name: 'Play again' }).waitFor();
    await pat.shot('game-over');
    await pat.expectAccessible('the game-over screen');
    expect(pat.errors).toEqual([]);
  }, 150_000);

  test('connecting passes axe on every sheet screen; above the allowance the sheet says why, Enter pays, Escape closes', async () => {
    const { page } = pat;
    if (page.url() === 'about:blank') await page.goto(gameUrl);
    await pat.openShop();
    await pat.buyButton('Extra life').click();
    // axe-core checks the sign-up, card and allowance steps on the way.
    await pat.connectInSheet({
      email: uniqueEmail('keys-pat'),
      card: '4242 4242 4242 4242',
      oneTapMax: '$2',
      axe: true,
    });
    await expect
      .poll(() => pat.itemNote('Extra life').textContent(), { timeout: 15_000 })
      .toContain('Extra life saved');
    await pat.expectAccessible('the shop, connected');

    // $4.99 is above the $2 one-tap allowance: Coinslot's window says so, in the purchase's own words.
    await pat.buyButton('Neon skin').click();
    const sheet = await pat.sheet();
    await sheet.getByRole('heading', { name: 'Confirm purchase' }).waitFor();
    await expect
      .poll(() => sheet.locator('.why').textContent())
      .toContain('This costs $4.99. That is more than the $2.00 you let Comet Dodge charge with one tap');
    // Every control the consent screen promised is one link away: the account page.
    expect(await sheet.getByRole('link', { name: 'Change limits' }).getAttribute('href')).toBe('/account#games-title');
    expect(await sheet.getByRole('link', { name: 'Account', exact: true }).getAttribute('href')).toBe('/account');
    // The consent promised "change or revoke this any time": the sheet links to where that is done.
    await pat.shotOf(sheet, 'confirm-why');
    await pat.expectAccessible('the confirm sheet');

    // Escape closes Coinslot's window and nothing is charged.
    await sheet.locator('h1').focus();
    await pressClosing(sheet, 'Escape');
    await expect.poll(() => noSheetOpen(pat)).toBe(true);
    await expect.poll(() => page.getByRole('dialog', { name: 'Shop' }).isVisible()).toBe(true);
    // Closed without paying: the game ends the waiting purchase, so the skin can be tapped again at once.
    await expect
      .poll(() => pat.itemNote('Neon skin').textContent(), { timeout: 10_000 })
      .toMatch(/nothing was charged/i);
    await pat.shot('sheet-closed');

    // Again, by keyboard only: Tab goes through the sheet in order with a visible focus, Enter on Pay pays.
    await pat.buyButton('Neon skin').click();
    const again = await pat.sheet();
    await again.getByRole('heading', { name: 'Confirm purchase' }).waitFor();
    const order = await tabStops(again, again, 12);
    const at = (name: string) => order.findIndex((n) => n.startsWith(name));
    expect(at('Change limits')).toBeGreaterThanOrEqual(0);
    expect(at('Change limits')).toBeLessThan(at('Pay $4.99'));
    expect(at('Pay $4.99')).toBeLessThan(at('Cancel'));
    await again.getByRole('button', { name: 'Pay $4.99' }).focus();
    await pat.shotOf(again, 'pay-focused');
    // Paid: the game closes Coinslot's window at once.
    await pressClosing(again, 'Enter');
    await expect.poll(() => pat.itemNote('Neon skin').textContent(), { timeout: 15_000 }).toContain('New look on');
    expect(pat.errors).toEqual([]);
  }, 120_000);

  test('a declined card: the game and the pay sheet say what happened and what to do next', async () => {
    const other = await Phone.open('keys-declined');
    try {
      await other.page.goto(gameUrl);
      await other.openShop();
      await other.buyButton('Extra life').click();
      // This card saves, then every charge is declined; "Always ask" sends the life to the pay sheet.
      await other.connectInSheet({
        email: uniqueEmail('keys-declined'),
        card: '4000 0000 0000 0341',
        oneTapMax: 'Always ask',
      });
      const sheet = await other.sheet();
      await sheet.getByRole('heading', { name: 'Confirm purchase' }).waitFor({ timeout: 20_000 });
      await expect
        .poll(() => sheet.locator('.why').textContent())
        .toContain('You asked Coinslot to check with you before every purchase in Comet Dodge.');
      await sheet.getByRole('button', { name: 'Pay $0.99' }).focus();
      await pressClosing(sheet, 'Enter');
      // The game closes the sheet when the purchase fails and says it in the shop, with the next step.
      await expect
        .poll(() => other.itemNote('Extra life').textContent(), { timeout: 15_000 })
        .toMatch(/bank said no to this card\. Nothing was charged\./i);
      await other.shot('game-declined');
      // The same purchase's page on Coinslot says it too, with what to do next.
      const res = await app.gql(RECENT_PURCHASES, { g: gameId }, { token: (await other.gameToken())! });
      const failed = res.data.purchases.edges.find((e) => e.node.status === 'FAILED');
      expect(failed).toBeDefined();
      const page = await other.context.newPage();
      page.on('pageerror', (error) => other.errors.push(error.message));
      await page.goto(`${app.url}/pay/${failed!.node.id}`);
      await page.getByRole('heading', { name: 'Payment declined' }).waitFor();
      const said = page.getByRole('alert');
      expect(await said.locator('p').first().textContent()).toBe('The bank said no to this card. Nothing was charged.');
      expect(await said.locator('.next-step').textContent()).toBe('Try another card, or ask the bank why.');
      await page.screenshot({ path: 'test-results/e2e/keys-declined-sheet.png' });
      expect(await axeSerious(page)).toEqual([]);
      expect(other.errors).toEqual([]);
    } finally {
      await other.close();
    }
  }, 90_000);

  test('an allowance changed on the account page is what the game’s next purchase follows', async () => {
    const { page } = pat;
    account = await pat.context.newPage();
    account.on('pageerror', (error) => pat.errors.push(error.message));
    await account.goto(`${app.url}/account`);
    await account.getByRole('heading', { level: 1, name: 'Your Coinslot account' }).waitFor();
    // The history lists what was bought in the game, with its signed receipt.
    const history = account.getByRole('list', { name: 'Your purchases' });
    await expect.poll(() => history.textContent()).toContain('Neon skin');
    const skin = history.getByRole('listitem', { name: 'Neon skin' });
    await skin.getByText('Receipt', { exact: true }).click();
    await expect.poll(() => skin.locator('code.jws').textContent()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await axeSerious(account)).toEqual([]);
    await account.screenshot({ path: 'test-results/e2e/keys-account-history.png' });

    // Ask before every purchase: the game's $0.99 life, one tap until now, now opens the sheet and says why.
    const row = account.getByRole('listitem', { name: 'Comet Dodge' });
    await row.getByRole('button', { name: 'Change limits' }).click();
    await account.getByLabel('One tap up to (USD)').fill('0');
    await account.keyboard.press('Enter');
    await expect
      .poll(() => account.locator('#games-status').textContent())
      .toContain('will ask you before every purchase');
    await page.bringToFront();
    await pat.openShop();
    await pat.buyButton('Extra life').click();
    const ask = await pat.sheet();
    await ask.getByRole('heading', { name: 'Confirm purchase' }).waitFor();
    await expect
      .poll(() => ask.locator('.why').textContent())
      .toContain('You asked Coinslot to check with you before every purchase in Comet Dodge.');
    await pat.shotOf(ask, 'always-ask');
    // Cancel closes Coinslot's window, which may happen before the click returns.
    await ask
      .getByRole('button', { name: 'Cancel' })
      .click()
      .catch((error: unknown) => {
        if (!ask.isClosed()) throw error;
      });
    await expect.poll(() => noSheetOpen(pat)).toBe(true);

    // Up to $5 with one tap: the $2.99 gem pack is charged at once, no sheet.
    await account.bringToFront();
    await row.getByRole('button', { name: 'Change limits' }).click();
    await account.getByLabel('One tap up to (USD)').fill('5');
    await account.getByLabel('Each day up to (USD)').fill('50');
    await account.getByRole('button', { name: 'Save limits' }).click();
    await expect.poll(() => account.locator('#games-status').textContent()).toContain('up to $5.00 with one tap');
    await page.bringToFront();
    await pat.buyButton('500 gems').click();
    await expect.poll(() => pat.gems(), { timeout: 15_000 }).toBe('500');
    expect(noSheetOpen(pat)).toBe(true);
    expect(pat.errors).toEqual([]);
  }, 90_000);

  test('a gift arrives in the friend’s game while it runs, without a reload', async () => {
    sam = await Phone.open('keys-friend');
    await sam.page.goto(gameUrl);
    await sam.openShop();
    await sam.page.getByRole('button', { name: 'Connect Coinslot' }).click();
    await sam.connectInSheet({
      email: uniqueEmail('keys-sam'),
      card: '5555 5555 5555 4444',
      oneTapMax: '$2',
      displayName: 'Sam',
    });
    const code = sam.page.locator('#friend-code');
    await expect.poll(() => code.textContent(), { timeout: 15_000 }).toMatch(/\S{6,}/);
    const friendCode = (await code.textContent())!.trim();
    await sam.page.getByRole('button', { name: 'Close shop' }).click();
    const before = await sam.extraLives();

    // Pat sends an extra life to Sam's code from the shop's gift form.
    const { page } = pat;
    await pat.openShop();
    await page.getByLabel('Friend’s code').fill(friendCode);
    await page.getByLabel('Gift', { exact: true }).selectOption({ label: 'Extra life · $0.99' });
    await page.getByRole('button', { name: 'Send gift' }).click();
    await expect
      .poll(() => page.locator('.gift-form [role="status"]').textContent(), { timeout: 15_000 })
      .toContain('Gift sent: Extra life');
    await pat.shot('gift-sent');
    await pat.expectAccessible('the shop after sending a gift');

    // Sam's game, left open, shows it: the toast and the extra-life count, with no reload.
    await expect
      .poll(() => sam.page.locator('#toast').textContent(), { timeout: 20_000 })
      .toContain('A gift arrived: Extra life × 1!');
    await expect.poll(() => sam.extraLives()).toBe(before + 1);
    await sam.shot('gift-arrived');
    await sam.expectAccessible('the game with a gift toast');
    const state = await app.gql(PLAYER_STATE, { gameId }, { token: (await sam.gameToken())! });
    expect(state.data.inventory).toContainEqual({ quantity: before + 1, item: { sku: 'extra-life' } });
    expect(sam.errors).toEqual([]);
  }, 120_000);

  test('disconnecting the game on the account page: its next call is refused and it asks to connect again', async () => {
    const { page } = pat;
    const token = (await pat.gameToken())!;
    expect(token).toMatch(/^gt_/);
    await account.bringToFront();
    await account.reload();
    const row = account.getByRole('listitem', { name: 'Comet Dodge' });
    // Keyboard: Tab reaches Disconnect with a ring, Enter asks, the question's buttons follow.
    await row.getByRole('button', { name: 'Change limits' }).focus();
    await account.keyboard.press('Tab');
    expect(await focused(account)).toMatchObject({ name: 'Disconnect', ring: true });
    await account.keyboard.press('Enter');
    await expect.poll(() => row.textContent()).toContain('will stop being able to charge your card at once');
    expect((await focused(account))?.name).toBe('Disconnect Comet Dodge');
    expect(await axeSerious(account)).toEqual([]);
    await account.screenshot({ path: 'test-results/e2e/keys-account-revoke.png' });
    // Escape backs out of the question, focus back on Disconnect; the account tab stays open.
    await account.keyboard.press('Escape');
    const question = row.getByText('will stop being able to charge your card at once');
    await expect.poll(() => question.isVisible()).toBe(false);
    expect(account.isClosed()).toBe(false);
    expect(await focused(account)).toMatchObject({ name: 'Disconnect', ring: true });
    await account.keyboard.press('Enter');
    await expect.poll(() => question.isVisible()).toBe(true);
    expect((await focused(account))?.name).toBe('Disconnect Comet Dodge');
    await account.keyboard.press('Enter');
    await expect.poll(() => account.locator('#games-status').textContent()).toContain('is disconnected');

    // The game still holds the token; its next call is refused and it asks to connect again. That call
    // is opening the shop (it reloads the player's items) or the gift poll, whichever comes first: no
    // tap on Buy here, because once the game knows, that button starts connecting instead.
    await page.bringToFront();
    await pat.openShop();
    await expect
      .poll(() => page.locator('.shop-message').textContent(), { timeout: 15_000 })
      .toContain('Comet Dodge isn’t connected to your Coinslot account any more');
    await page.getByRole('button', { name: 'Connect Coinslot' }).waitFor();
    await pat.shot('asks-to-connect');
    await pat.expectAccessible('the shop after the game was disconnected');
    expect(await pat.gameToken()).toBeNull();
    // And Coinslot refuses that token for anything, not just purchases.
    const refused = await app.gql(PLAYER_STATE, { gameId }, { token });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // Connecting again: a disconnected game starts from the defaults (nothing of the old allowance
    // lives on), and once connected the shop drops the "isn't connected" notice.
    await page.getByRole('button', { name: 'Connect Coinslot' }).click();
    const consent = await pat.sheet();
    await consent.getByRole('heading', { name: /to charge with one tap\?$/ }).waitFor();
    expect(await consent.locator('.current-allowance').count()).toBe(0);
    await consent.getByRole('button', { name: 'Allow one-tap purchases' }).click();
    await expect.poll(() => consent.isClosed(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => pat.gameToken(), { timeout: 15_000 }).toMatch(/^gt_/);
    await expect.poll(() => page.locator('.shop-message').textContent()).toBe('');
    await expect.poll(() => pat.gems(), { timeout: 15_000 }).toBe('500');
    await pat.shot('connected-again');
    expect(pat.errors).toEqual([]);
  }, 90_000);
});
