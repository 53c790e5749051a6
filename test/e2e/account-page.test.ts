// The player's Coinslot account page (/account) in a phone-sized Chromium, against a real Coinslot:
// cards, a game's allowance and revocation, the history of two games with a refund and receipts, gifts,
// signing out of this device and of all. Screenshots of every screen go to
// test-results/e2e/account-*.png; axe-core checks each.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buyTyped, CARDS, setUpGame, setUpPlayer, type GameSetup, type PlayerSetup } from '../helpers/flows.js';
import { expectTypename, graphql } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { DEMO_ITEMS, Phone } from './demo-game-flows.js';

let app: TestApp;
let game: GameSetup;
let otherGame: GameSetup;
let me: PlayerSetup;
let friend: PlayerSetup;
let phone: Phone;
let gameName: string;

const VIEWER_CARDS = graphql(`query AccountCards { viewer { cards { id last4 isDefault } } }`);
const ADD_CARD = graphql(`
  mutation AccountAddCard($input: AddCardInput!) { addCard(input: $input) { __typename ... on AddCardPayload { card { id } } } }
`);
const CREATE_PURCHASE = graphql(`
  mutation AccountCreatePurchase($input: CreatePurchaseInput!) { createPurchase(input: $input) { __typename } }
`);
const VIEWER_KIND = graphql(`query AccountViewerKind { viewer { kind } }`);
const AUTHORIZE = graphql(`
  mutation AccountAuthorize($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) { __typename ... on AuthorizeGamePayload { gameToken } }
  }
`);
const REFUND = graphql(`
  mutation AccountRefund($input: RefundPurchaseInput!) {
    refundPurchase(input: $input) { __typename ... on RefundPurchasePayload { purchase { status } } }
  }
`);

/** The status of a purchase that must have been created. */
const statusOf = (res: Awaited<ReturnType<typeof buyTyped>>) =>
  expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.status;

beforeAll(async () => {
  if (process.env.E2E_SKIP_BUILD !== '1') execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  app = await createTestApp({ listen: true });
  gameName = 'Comet Dodge';
  game = await setUpGame(
    app,
    DEMO_ITEMS.map((i) => ({
      sku: i.sku,
      kind: i.kind,
      price: i.prices[0].amount,
      currency: i.prices[0].currency,
      ...('grants' in i ? { grants: i.grants } : {}),
    })),
    { name: gameName },
  );
  me = await setUpPlayer(app, game, { card: CARDS.visa, oneTapMax: '200', dailyCap: '2000' });
  friend = await setUpPlayer(app, game, { card: null });
  // A second game the same player connected: the history lists every game's purchases.
  otherGame = await setUpGame(app, [{ sku: 'seed-pack', kind: 'CONSUMABLE', price: '150' }], { name: 'Star Garden' });
  const garden = expectTypename(
    (
      await app.gql(
        AUTHORIZE,
        {
          input: {
            gameId: otherGame.gameId,
            oneTapMax: { amount: '500', currency: 'USD' },
            dailyCap: { amount: '2000', currency: 'USD' },
          },
        },
        { token: me.playerToken },
      )
    ).data.authorizeGame,
    'AuthorizeGamePayload',
  );
  const inGarden = { ...me, gameToken: garden.gameToken! };
  expect(statusOf(await buyTyped(app, otherGame, inGarden, otherGame.items['seed-pack']!))).toBe('SUCCEEDED');
  // A second card, and purchases to list: one for me, one gift to the friend, one gift from the friend's side.
  const second = await app.gql(
    ADD_CARD,
    { input: { number: CARDS.mastercard, expMonth: 12, expYear: 2040, cvc: '123', holderName: 'Pat Player' } },
    { token: me.playerToken },
  );
  expect(second.data.addCard.__typename).toBe('AddCardPayload');
  // The first is refunded in full by the game (its secret key): the history says what that means.
  const bought = expectTypename(
    (await buyTyped(app, game, me, game.items['extra-life']!)).data.createPurchase,
    'PurchasePayload',
  ).purchase;
  expect(bought.status).toBe('SUCCEEDED');
  const refunded = await app.gql(
    REFUND,
    { input: { purchaseId: bought.id, reason: 'e2e: a refund in the history', idempotencyKey: randomUUID() } },
    { token: game.secretKey },
  );
  expect(expectTypename(refunded.data.refundPurchase, 'RefundPurchasePayload').purchase.status).toBe('REFUNDED');
  expect(statusOf(await buyTyped(app, game, me, game.items['extra-life']!, { giftTo: friend.playerId }))).toBe(
    'SUCCEEDED',
  );
  phone = await Phone.open('account');
  // Signed in to Coinslot on this phone (the session the pay sheet keeps on Coinslot's origin).
  await phone.page.goto(`${app.url}/healthz`);
  await phone.page.evaluate(
    ([token]) => localStorage.setItem('coinslot.pay.session', JSON.stringify({ token, displayName: 'Pat' })),
    [me.playerToken],
  );
}, 240_000);

afterAll(async () => {
  await phone?.close();
  await app?.close();
});

describe('the account page on a phone', () => {
  test('shows cards, the connected games with their allowance, and every game’s history with refunds and receipts', async () => {
    const { page } = phone;
    await page.goto(`${app.url}/account`);
    await page.getByRole('heading', { level: 1, name: 'Your Coinslot account' }).waitFor();
    await phone.shot('overview');
    await phone.expectAccessible('the account page');
    const cards = page.getByRole('list', { name: 'Your cards' });
    await expect.poll(() => cards.getByRole('listitem').count()).toBe(2);
    const games = page.getByRole('list', { name: 'Connected games' });
    await expect.poll(() => games.textContent()).toContain('One tap up to $2.00 a purchase and $20.00 a day');

    const history = page.getByRole('list', { name: 'Your purchases' });
    await expect.poll(() => history.getByRole('listitem').count()).toBe(3);
    await expect.poll(() => history.textContent()).toContain('A gift you sent to a friend.');
    // Newest first, from both games: the gift (paid), the life the game refunded, each with its status
    // in words, and the seed pack bought in the other game.
    const [gift, back, seeds] = [0, 1, 2].map((i) => history.getByRole('listitem').nth(i));
    expect(await gift!.locator('.status-pill').textContent()).toBe('Paid');
    expect(await back!.locator('.status-pill').textContent()).toBe('Refunded');
    expect(await back!.textContent()).toContain(
      'Refunded: $0.99 went back to your card. The game may take back what you had left of the item.',
    );
    expect(await seeds!.textContent()).toMatch(/^seed-pack\$1\.50Paid\s*Star Garden · /);
    await expect.poll(() => games.textContent()).toContain('Star Garden');
    const first = history.getByRole('listitem').first();
    await first.getByText('Receipt', { exact: true }).click();
    await expect.poll(() => first.locator('code.jws').textContent()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    await first.scrollIntoViewIfNeeded();
    await phone.shot('receipt');
    await phone.expectAccessible('an open receipt');
  }, 60_000);

  test('changing the allowance is what the next purchase follows', async () => {
    const { page } = phone;
    const row = page.getByRole('listitem', { name: gameName });
    await row.getByRole('button', { name: 'Change limits' }).click();
    await page.getByLabel('One tap up to (USD)').fill('0');
    await phone.shot('allowance-form');
    await phone.expectAccessible('the allowance form');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#games-status').textContent())
      .toContain('will ask you before every purchase');
    await phone.shot('allowance-changed');
    expect(statusOf(await buyTyped(app, game, me, game.items['extra-life']!))).toBe('REQUIRES_CONFIRMATION');

    await row.getByRole('button', { name: 'Change limits' }).click();
    await page.getByLabel('One tap up to (USD)').fill('5');
    await page.getByLabel('Each day up to (USD)').fill('50');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await expect.poll(() => page.locator('#games-status').textContent()).toContain('up to $5.00 with one tap');
    expect(statusOf(await buyTyped(app, game, me, game.items['neon-skin']!))).toBe('SUCCEEDED');
  }, 60_000);

  test('removing the default card says what happens next; another card can be made default', async () => {
    const { page } = phone;
    await page.reload();
    const cards = page.getByRole('list', { name: 'Your cards' });
    await cards.getByRole('listitem').first().waitFor();
    const before = (await app.gql(VIEWER_CARDS, {}, { token: me.playerToken })).data.viewer.cards;
    const theDefault = before.find((c) => c.isDefault)!;
    const other = before.find((c) => !c.isDefault)!;
    await page.getByRole('button', { name: new RegExp(`^Remove .* •• ${theDefault.last4}$`) }).click();
    await expect
      .poll(() => cards.textContent())
      .toContain(`This is your default card. After you remove it, ${gameName} and Star Garden will charge your`);
    await phone.shot('remove-default');
    await phone.expectAccessible('the remove-card question');
    await page
      .getByRole('button', { name: new RegExp(`^Remove .* •• ${theDefault.last4}$`) })
      .last()
      .click();
    await expect.poll(() => page.locator('#cards-status').textContent()).toContain('was removed');
    const left = (await app.gql(VIEWER_CARDS, {}, { token: me.playerToken })).data.viewer.cards;
    expect(left).toEqual([{ id: other.id, last4: other.last4, isDefault: true }]);

    // Add one back with a test card, then make it the default.
    await page.getByRole('button', { name: 'Add a card' }).click();
    await page.getByRole('button', { name: /^Use test card 4242 4242 4242 4242/ }).click();
    await phone.shot('add-card');
    await phone.expectAccessible('the add-card form');
    await page.getByRole('button', { name: 'Save card' }).click();
    await expect.poll(() => cards.getByRole('listitem').count(), { timeout: 15_000 }).toBe(2);
    await page.getByRole('button', { name: /^Make default: Visa •• 4242$/ }).click();
    await expect.poll(() => page.locator('#cards-status').textContent()).toContain('is now your default card');
    await phone.shot('default-changed');
    const now = (await app.gql(VIEWER_CARDS, {}, { token: me.playerToken })).data.viewer.cards;
    expect(now.find((c) => c.isDefault)?.last4).toBe('4242');
  }, 60_000);

  test('a gift from a friend shows as received; the keyboard reaches every control with a visible focus', async () => {
    const { page } = phone;
    const gift = await buyTyped(app, game, friend.cardId ? friend : me, game.items['extra-life']!, {
      giftTo: friend.playerId,
    });
    expect(statusOf(gift)).toBe('SUCCEEDED');
    // The friend (who got a gift from me in beforeAll) sees it as received in their own account.
    const other = await Phone.open('account-friend');
    try {
      await other.page.goto(`${app.url}/healthz`);
      await other.page.evaluate(
        ([token]) => localStorage.setItem('coinslot.pay.session', JSON.stringify({ token, displayName: 'Sam' })),
        [friend.playerToken],
      );
      await other.page.goto(`${app.url}/account`);
      const history = other.page.getByRole('list', { name: 'Your purchases' });
      await expect.poll(() => history.textContent()).toContain('A gift from a friend: nothing was charged to you.');
      await other.shot('gift-received');
      await other.expectAccessible('a friend’s account with a gift');
      // Signing out of this device ends this sign-in; the game the friend connected keeps working.
      await other.page.getByRole('button', { name: 'Sign out of this device' }).click();
      // The account page asks a returning player to sign in, not to create an account.
      await other.page.getByRole('heading', { level: 1, name: 'Sign in to Coinslot' }).waitFor();
      const ended = await app.gql(VIEWER_KIND, {}, { token: friend.playerToken });
      expect(ended.errors?.[0]?.extensions?.code ?? ended.data?.viewer?.kind).toMatch(/UNAUTHENTICATED|ANONYMOUS/);
      const game = await app.gql(VIEWER_KIND, {}, { token: friend.gameToken });
      expect(game.errors).toBeUndefined();
      expect(game.data.viewer.kind).not.toBe('ANONYMOUS');
    } finally {
      await other.close();
    }

    // Tab order follows the page; every stop shows a focus ring.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Your Coinslot account' }).waitFor();
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      const stop = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        return {
          name: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40),
          ring: style.outlineStyle !== 'none' && style.outlineWidth !== '0px',
        };
      });
      expect(stop, `tab stop ${i}`).not.toBeNull();
      expect(stop!.ring, `focus ring on ${stop!.name}`).toBe(true);
      seen.push(stop!.name);
    }
    expect(seen.indexOf('Cards')).toBeLessThan(seen.indexOf('Sign out'));
  }, 90_000);

  test('disconnecting the game stops its token at once; signing out of all devices ends the session', async () => {
    const { page } = phone;
    const row = page.getByRole('listitem', { name: gameName });
    await row.getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => row.textContent()).toContain('will stop being able to charge your card at once');
    await phone.shot('revoke-question');
    await page.getByRole('button', { name: `Disconnect ${gameName}` }).click();
    await expect.poll(() => page.locator('#games-status').textContent()).toContain('is disconnected');
    await phone.shot('revoked');
    const refused = await app.gql(
      CREATE_PURCHASE,
      {
        input: {
          gameId: game.gameId,
          itemId: game.items['extra-life']!.id,
          expectedPrice: { amount: '99', currency: 'USD' },
          idempotencyKey: randomUUID(),
        },
      },
      { token: me.gameToken },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    await page.getByRole('button', { name: 'Sign out of all devices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to Coinslot' }).waitFor();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await phone.shot('signed-out');
    await phone.expectAccessible('the sign-in screen');
    const viewer = await app.gql(VIEWER_KIND, {}, { token: me.playerToken });
    expect(viewer.errors?.[0]?.extensions?.code ?? viewer.data?.viewer?.kind).toMatch(/UNAUTHENTICATED|ANONYMOUS/);
    expect(phone.errors).toEqual([]);
  }, 60_000);
});
