// Step-up asks once, in the browser: a first purchase on a new card above the game's new-card amount
// is stepped up by Coinslot's rules, on a card (4000 0027 6000 3184) whose bank also asks for
// authentication. The pay sheet asks for the CVC once; that one code answers both, and the item lands.
// axe-core checks the step-up screen; screenshots go to test-results/e2e/step-up-*.png.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphql } from '../helpers/graphql.js';
import { createTestApp, uniqueEmail, type TestApp } from '../helpers/test-app.js';
import { cometDodge, Phone, type ThirdPartyGame } from './demo-game-flows.js';

const UPDATE_RISK_SETTINGS = graphql(`
  mutation StepUpRiskSettings($input: UpdateRiskSettingsInput!) {
    updateRiskSettings(input: $input) { __typename }
  }
`);
const PURCHASES = graphql(`
  query StepUpPurchases($gameId: ID!) {
    purchases(gameId: $gameId, first: 10) { edges { node { status risk { decision } item { sku } } } }
  }
`);

let app: TestApp;
let game: ThirdPartyGame;
let phone: Phone;

beforeAll(async () => {
  app = await createTestApp({ listen: true });
  game = await cometDodge(app);
  // Any first charge above $0.50 on a new card is stepped up (the platform's amount is higher).
  const tightened = await app.gql(
    UPDATE_RISK_SETTINGS,
    { input: { gameId: game.gameId, newCardStepUpAmounts: [{ amount: '50', currency: 'USD' }] } },
    { token: game.devToken },
  );
  expect(tightened.data.updateRiskSettings.__typename).toBe('UpdateRiskSettingsPayload');
  phone = await Phone.open('step-up');
}, 180_000);

afterAll(async () => {
  await phone?.close();
  await game?.site.close();
  await app?.close();
});

describe('step-up in the pay sheet', () => {
  test('the first purchase on a new card that the bank also checks asks for the CVC once', async () => {
    const { page } = phone;
    await page.goto(game.url);
    await phone.openShop();
    await phone.buyButton('Extra life').click();
    await phone.connectInSheet({
      email: uniqueEmail('step-up'),
      card: '4000 0027 6000 3184',
      oneTapMax: '$2',
    });
    // The one-tap life is stepped up: Coinslot's window asks for the security code, and says why.
    const sheet = await phone.sheet();
    await sheet.getByRole('heading', { name: 'Confirm it’s you' }).waitFor({ timeout: 20_000 });
    expect(await sheet.locator('.why').textContent()).toBe(
      'To make sure it’s really you, type the security code from the card. You only type it once.',
    );
    await phone.shotOf(sheet, 'cvc');
    await phone.expectAccessible('the step-up screen');
    await sheet.getByLabel(/^Security code of Visa •• 3184/).fill('123');
    await sheet.getByRole('button', { name: 'Pay $0.99' }).click();

    // That one code answered the bank too: the sheet closes and the life is saved, with no second ask.
    await expect.poll(() => sheet.isClosed(), { timeout: 15_000 }).toBe(true);
    await expect
      .poll(() => phone.itemNote('Extra life').textContent(), { timeout: 15_000 })
      .toContain('Extra life saved');
    await expect.poll(() => phone.extraLives()).toBe(1);
    await page.waitForTimeout(1000);
    expect(phone.popups.filter((p) => !p.isClosed())).toEqual([]);
    // Two windows in all: the connect flow, and the one CVC screen.
    expect(phone.popups).toHaveLength(2);
    await phone.shot('saved');

    // The game's developer sees the fraud decision: the purchase was stepped up, and paid.
    const res = await app.gql(PURCHASES, { gameId: game.gameId }, { token: game.devToken });
    expect(res.errors).toBeUndefined();
    expect(res.data.purchases.edges.map((e) => e.node)).toEqual([
      { status: 'SUCCEEDED', risk: { decision: 'STEP_UP' }, item: { sku: 'extra-life' } },
    ]);
    expect(phone.errors).toEqual([]);
  }, 120_000);
});
