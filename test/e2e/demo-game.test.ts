// The demo game in headless Chromium at a phone viewport, on its own site, against a real Coinslot on
// Postgres and Redis: coinslot.js opens Coinslot's window for connect and confirm.
// Screenshots of every step go to test-results/e2e/.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphql } from '../helpers/graphql.js';
import { createTestApp, uniqueEmail, type TestApp } from '../helpers/test-app.js';
import { cometDodge, Phone, type ThirdPartyGame } from './demo-game-flows.js';

const PURCHASES = graphql(`
  query DemoPurchases($gameId: ID!) {
    purchases(gameId: $gameId, first: 100) { edges { node { id status item { sku } } } }
  }
`);
const PLAYER_STATE = graphql(`
  query DemoPlayerState($gameId: ID!) {
    inventory(gameId: $gameId) { quantity item { sku } }
    wallet(gameId: $gameId) { amount currency }
  }
`);

let app: TestApp;
let game: ThirdPartyGame;
let gameUrl: string;
let gameId: string;
let phone: Phone;

/** The player's purchases of one sku with one status, read from Coinslot with the game token. */
async function purchasesOf(token: string, sku: string, status: string): Promise<number> {
  const res = await app.gql(PURCHASES, { gameId }, { token });
  expect(res.errors).toBeUndefined();
  const { edges } = res.data.purchases;
  return edges.filter((e) => e.node.item.sku === sku && e.node.status === status).length;
}

beforeAll(async () => {
  // The global setup built the web front, coinslot.js and the game as `npm start` does. Coinslot on
  // 127.0.0.1, the game on its own site (localhost), its origin registered.
  app = await createTestApp({ listen: true });
  game = await cometDodge(app);
  gameId = game.gameId;
  gameUrl = game.url;
  phone = await Phone.open('player');
}, 180_000);

afterAll(async () => {
  await phone?.close();
  await game?.site.close();
  await app?.close();
});

describe('the demo game on a phone', () => {
  test('a new player signs up in the pay sheet, adds 4242 4242 4242 4242, authorizes the game and buys an extra life with one tap', async () => {
    const { page } = phone;
    await page.goto(gameUrl);
    await page.getByRole('button', { name: 'Play' }).waitFor();
    await phone.shot('start');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.keyboard.press('ArrowLeft');
    await page.waitForTimeout(800);
    await phone.shot('playing');

    await phone.openShop();
    await phone.buyButton('Extra life').waitFor();
    await phone.shot('shop');
    const livesBefore = await phone.lives();
    // Not connected yet: the tap opens Coinslot's connect flow, then finishes the same purchase.
    await phone.buyButton('Extra life').click();
    await phone.connectInSheet({ email: uniqueEmail('e2e-player'), card: '4242 4242 4242 4242', oneTapMax: '$2' });
    await expect
      .poll(() => phone.itemNote('Extra life').textContent(), { timeout: 15_000 })
      .toContain('Extra life saved');
    // Saved in Coinslot's inventory until used, not spent on the run at once.
    await expect.poll(() => phone.extraLives()).toBe(1);
    expect(await phone.lives()).toBe(livesBefore);
    await phone.shot('life-bought');

    const token = await phone.gameToken();
    expect(token).toMatch(/^gt_/);
    expect(await purchasesOf(token!, 'extra-life', 'SUCCEEDED')).toBe(1);
  }, 90_000);

  test('above the one-tap allowance the pay sheet shows the item, price and card, and Pay puts the skin on', async () => {
    const { page } = phone;
    await phone.buyButton('Neon skin').click();
    const sheet = await phone.sheet();
    await sheet.getByRole('heading', { name: 'Confirm purchase' }).waitFor();
    await expect.poll(() => sheet.locator('.summary').textContent()).toContain('Neon skin');
    expect(await sheet.locator('.price').textContent()).toBe('$4.99');
    await expect.poll(() => sheet.locator('.cards').textContent()).toContain('4242');
    await phone.shotOf(sheet, 'pay-sheet');
    await sheet.getByRole('button', { name: 'Pay $4.99' }).click();
    await expect.poll(() => phone.itemNote('Neon skin').textContent(), { timeout: 15_000 }).toContain('New look on');
    await expect.poll(() => page.locator('#playfield').getAttribute('aria-label')).toContain('Your comet: Neon skin');
    // The game followed the purchase with the purchaseUpdated subscription over SSE.
    expect(phone.subscriptions.some((body) => body.includes('purchaseUpdated'))).toBe(true);
    await page.getByRole('button', { name: 'Close shop' }).click();
    await page.locator('#screen').getByRole('button', { name: 'Resume' }).click();
    await page.waitForTimeout(600);
    await phone.shot('wearing-skin');
    await phone.openShop();
  }, 60_000);

  test('a double tap on Buy makes one purchase', async () => {
    const token = (await phone.gameToken())!;
    const before = await purchasesOf(token, 'extra-life', 'SUCCEEDED');
    const extra = await phone.extraLives();
    await phone.buyButton('Extra life').dblclick();
    await expect
      .poll(() => phone.itemNote('Extra life').textContent(), { timeout: 15_000 })
      .toContain('Extra life saved');
    await phone.page.waitForTimeout(1500);
    await phone.shot('double-tap');
    expect(await purchasesOf(token, 'extra-life', 'SUCCEEDED')).toBe(before + 1);
    expect(await phone.extraLives()).toBe(extra + 1);
  }, 60_000);

  test('gems bought with a pack pay for a gem-priced item', async () => {
    await phone.buyButton('500 gems').click();
    await (await phone.sheet()).getByRole('button', { name: 'Pay $2.99' }).click();
    await expect.poll(() => phone.gems(), { timeout: 15_000 }).toBe('500');
    await phone.buyButton('Shield').click();
    await expect.poll(() => phone.itemNote('Shield').textContent(), { timeout: 15_000 }).toContain('Shield ready');
    await expect.poll(() => phone.gems()).toBe('450');
    await phone.shot('gems-spent');

    const state = await app.gql(PLAYER_STATE, { gameId }, { token: (await phone.gameToken())! });
    expect(state.errors).toBeUndefined();
    expect(state.data.wallet).toContainEqual({ amount: '450', currency: 'GEM' });
    expect(state.data.inventory).toContainEqual({ quantity: 1, item: { sku: 'shield' } });
    expect(phone.errors).toEqual([]);
  }, 60_000);

  test('connecting again after “Forget on this device” shows the allowance the game has, not the defaults', async () => {
    const { page } = phone;
    // On Coinslot's account page (same browser, same sign-in) the player sets limits no preset has.
    const account = await phone.context.newPage();
    account.on('pageerror', (error) => phone.errors.push(error.message));
    const games = account.getByRole('list', { name: 'Connected games' });
    try {
      await account.goto(`${app.url}/account`);
      await games.getByRole('button', { name: 'Change limits' }).click();
      await account.getByLabel('One tap up to (USD)').fill('3');
      await account.getByLabel('Each day up to (USD)').fill('30');
      await account.getByRole('button', { name: 'Save limits' }).click();
      await expect.poll(() => games.textContent()).toContain('One tap up to $3.00 a purchase and $30.00 a day');
    } finally {
      await account.close();
    }

    await page.bringToFront();
    await phone.openShop();
    await page.getByRole('button', { name: 'Forget on this device' }).click();
    await page.getByRole('button', { name: 'Connect Coinslot' }).click();
    // Still signed in to Coinslot: straight to the allowance, with the game's current limits checked
    // (as choices of their own: $3 and $30 are not presets), so allowing again changes nothing.
    const sheet = await phone.sheet();
    await sheet.getByRole('heading', { name: /to charge with one tap\?$/ }).waitFor();
    await expect
      .poll(() => sheet.locator('.current-allowance').textContent())
      .toBe('Now: one tap up to $3.00, at most $30.00 a day. Keep it, or choose new limits.');
    const oneTap = sheet.getByRole('group', { name: 'One tap, without asking, up to' });
    expect(await oneTap.getByRole('radio', { name: '$3', exact: true }).isChecked()).toBe(true);
    expect(await oneTap.getByRole('radio', { name: '$5', exact: true }).isChecked()).toBe(false);
    const daily = sheet.getByRole('group', { name: 'At most per day' });
    expect(await daily.getByRole('radio', { name: '$30', exact: true }).isChecked()).toBe(true);
    await phone.shotOf(sheet, 'reconnect-current');
    await phone.expectAccessible('the allowance step of a reconnect');
    await sheet.getByRole('button', { name: 'Allow one-tap purchases' }).click();
    await expect.poll(() => sheet.isClosed(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => phone.gameToken()).toMatch(/^gt_/);
    await expect.poll(() => phone.gems(), { timeout: 15_000 }).toBe('450');

    // The account page shows the limits unchanged by connecting again.
    const after = await phone.context.newPage();
    try {
      after.on('pageerror', (error) => phone.errors.push(error.message));
      await after.goto(`${app.url}/account`);
      await expect
        .poll(() => after.getByRole('list', { name: 'Connected games' }).textContent())
        .toContain('One tap up to $3.00 a purchase and $30.00 a day');
    } finally {
      await after.close();
    }
    await page.bringToFront();
    expect(phone.errors).toEqual([]);
  }, 90_000);

  test('what was paid for stays: extra lives survive a reload, a used one is gone at Coinslot too, and at the cap nothing is charged', async () => {
    const { page } = phone;
    const token = (await phone.gameToken())!;
    const held = async (): Promise<number> => {
      const state = await app.gql(PLAYER_STATE, { gameId }, { token });
      expect(state.errors).toBeUndefined();
      const entry = (state.data.inventory as { quantity: number; item: { sku: string } }[]).find(
        (e) => e.item.sku === 'extra-life',
      );
      return entry?.quantity ?? 0;
    };
    const start = await held();
    expect(await phone.extraLives()).toBe(start);
    for (let i = 1; i <= 2; i++) {
      await phone.openShop();
      await phone.buyButton('Extra life').click();
      await expect.poll(() => phone.extraLives(), { timeout: 15_000 }).toBe(start + i);
    }
    await phone.expectAccessible('the shop with items held');
    await page.reload();
    await page.getByRole('button', { name: 'Play' }).waitFor();
    await expect.poll(() => phone.extraLives(), { timeout: 15_000 }).toBe(start + 2);
    expect(await held()).toBe(start + 2);
    await phone.shot('reloaded-lives-kept');

    // Use one in a run: it joins the run's lives and leaves Coinslot's inventory.
    await page.getByRole('button', { name: 'Play' }).click();
    await phone.openShop();
    const lives = await phone.lives();
    await page.getByRole('button', { name: 'Use an extra life' }).click();
    await expect.poll(() => phone.lives()).toBe(lives + 1);
    await expect.poll(() => phone.extraLives()).toBe(start + 1);
    expect(await held()).toBe(start + 1);
    await phone.shot('life-used');
    await page.reload();
    await page.getByRole('button', { name: 'Play' }).waitFor();
    await expect.poll(() => phone.extraLives(), { timeout: 15_000 }).toBe(start + 1);
    expect(await held()).toBe(start + 1);

    // At the cap (9 lives: 3 to start a run and the extra ones held) the button says so and charges nothing.
    await phone.openShop();
    for (let n = 3 + start + 1; n < 9; n++) {
      const before = await phone.extraLives();
      await phone.buyButton('Extra life').click();
      await expect.poll(() => phone.extraLives(), { timeout: 15_000 }).toBe(before + 1);
    }
    const full = page.getByRole('button', { name: 'Extra life: lives full' });
    await full.waitFor();
    const bought = await purchasesOf(token, 'extra-life', 'SUCCEEDED');
    await full.click({ force: true }); // aria-disabled: a tap still explains why
    await expect.poll(() => phone.itemNote('Extra life').textContent()).toContain('nothing was charged');
    await phone.shot('lives-full');
    await page.waitForTimeout(500);
    expect(await purchasesOf(token, 'extra-life', 'SUCCEEDED')).toBe(bought);
    expect(await held()).toBe(6);
    await phone.expectAccessible('the shop at the lives cap');
    expect(phone.errors).toEqual([]);
  }, 120_000);

  test('a declined card shows its message, offers to change card, and grants nothing', async () => {
    const other = await Phone.open('declined');
    try {
      const { page } = other;
      await page.goto(gameUrl);
      await other.openShop();
      const lives = await other.lives();
      await other.buyButton('Extra life').click();
      // Adding 4000 0000 0000 0341 succeeds; every charge on it is declined.
      await other.connectInSheet({ email: uniqueEmail('e2e-declined'), card: '4000 0000 0000 0341', oneTapMax: '$2' });
      await expect.poll(() => other.itemNote('Extra life').textContent(), { timeout: 15_000 }).toMatch(/bank said no/i);
      await expect(page.getByRole('button', { name: 'Change card' }).isVisible()).resolves.toBe(true);
      await other.shot('declined');
      expect(await other.lives()).toBe(lives);

      const token = (await other.gameToken())!;
      expect(await purchasesOf(token, 'extra-life', 'SUCCEEDED')).toBe(0);
      const state = await app.gql(PLAYER_STATE, { gameId }, { token });
      expect(state.data.inventory).toEqual([]);

      await page.getByRole('button', { name: 'Change card' }).click();
      const cards = await other.sheet();
      await cards.getByRole('heading', { name: 'Your cards' }).waitFor();
      await other.shotOf(cards, 'change-card');
      await other.expectAccessible('the pay sheet’s cards screen');
      expect(other.errors).toEqual([]);
    } finally {
      await other.close();
    }
  }, 90_000);
});
