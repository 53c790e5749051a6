// Flows for the demo-game e2e tests: a phone-sized Chromium, the game page on its own site, and
// Coinslot's window (consent, pay sheet) that coinslot.js opens as a popup on Coinslot's origin.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startDemoSite, type DemoSite } from '../../src/composition/index.js';
import { expectTypename, graphql, type VariablesOf } from '../helpers/graphql.js';
import { uniqueEmail, type TestApp } from '../helpers/test-app.js';

const SIGN_UP_DEVELOPER = graphql(`
  mutation E2eSignUpDeveloper($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token } }
  }
`);
const CREATE_GAME = graphql(`
  mutation E2eCreateGame($input: CreateGameInput!) {
    createGame(input: $input) { __typename ... on CreateGamePayload { publishableKey game { id } } }
  }
`);
const DEFINE_CURRENCY = graphql(`
  mutation E2eDefineCurrency($input: DefineCurrencyInput!) { defineCurrency(input: $input) { __typename } }
`);
const CREATE_ITEM = graphql(`
  mutation E2eCreateItem($input: CreateItemInput!) { createItem(input: $input) { __typename ... on Error { message } } }
`);
const UPDATE_GAME = graphql(`
  mutation E2eUpdateGame($input: UpdateGameInput!) {
    updateGame(input: $input) { __typename ... on UpdateGamePayload { game { allowedOrigins } } }
  }
`);

/** An item as a game's catalog defines it (createItem's input without the game); lists may be readonly. */
export type ItemDefinition = Omit<VariablesOf<typeof CREATE_ITEM>['input'], 'gameId' | 'prices'> & {
  readonly prices: readonly { readonly amount: string; readonly currency: string }[];
};

export const SHOT_DIR = join(process.cwd(), 'test-results', 'e2e');

/** Debian's Chromium, headless, isolated: no network chatter, a fresh profile per player. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Rules of lesser impact that still fail a screen: the defects players met before (two banner
 * landmarks with the shop open, the sandbox banner outside any landmark, visible text missing from a
 * button's accessible name, which axe-core runs only when asked) must not come back.
 */
const ALSO_FAILING = ['landmark-no-duplicate-banner', 'region', 'label-content-name-mismatch'];

/**
 * Runs axe-core in a page or frame (each frame on its own: the pay sheet is another document) and
 * returns its critical and serious violations and those of ALSO_FAILING, which the tests expect to be none.
 */
export async function axeSerious(target: Page | Frame): Promise<AxeFinding[]> {
  const loaded = await target.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  // Evaluated through the DevTools protocol, not as an inline <script>: the pay sheet's CSP
  // (script-src 'self') refuses inline scripts, and must stay on in the test.
  if (!loaded) await target.evaluate(AXE_SOURCE);
  return target.evaluate(async (also) => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<any> } }).axe;
    const result = await axe.run(document, {
      iframes: false,
      resultTypes: ['violations'],
      rules: { 'label-content-name-mismatch': { enabled: true } },
    });
    return (result.violations as any[])
      .filter((v) => v.impact === 'critical' || v.impact === 'serious' || also.includes(v.id))
      .map((v) => ({
        id: v.id as string,
        impact: v.impact as string,
        help: v.help as string,
        targets: (v.nodes as any[]).map((n) => String(n.target)),
      }));
  }, ALSO_FAILING);
}

/** The catalog the test game sells (the names the shop must show come from here, through the API). */
export const DEMO_ITEMS = [
  { sku: 'extra-life', name: 'Extra life', kind: 'CONSUMABLE', prices: [{ amount: '99', currency: 'USD' }] },
  { sku: 'neon-skin', name: 'Neon skin', kind: 'DURABLE', prices: [{ amount: '499', currency: 'USD' }] },
  {
    sku: 'gems-500',
    name: '500 gems',
    kind: 'CURRENCY_PACK',
    prices: [{ amount: '299', currency: 'USD' }],
    grants: { amount: '500', currency: 'GEM' },
  },
  { sku: 'shield', name: 'Shield', kind: 'CONSUMABLE', prices: [{ amount: '50', currency: 'GEM' }] },
] as const;

/** One player's phone: its own browser profile, the game page, and screenshots named in order. */
export class Phone {
  private shots = 0;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly profile: string,
    private readonly label: string,
  ) {}

  /** Launches Chromium with a fresh profile at 390×844 (touch, DPR 2). */
  static async open(label: string): Promise<Phone> {
    mkdirSync(SHOT_DIR, { recursive: true });
    const profile = mkdtempSync(join(tmpdir(), 'coinslot-e2e-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    const phone = new Phone(context, page, profile, label);
    page.on('pageerror', (error) => phone.errors.push(error.message));
    // Coinslot's windows (window.open from coinslot.js), in the order they opened.
    page.on('popup', (popup) => {
      popup.setDefaultTimeout(15_000);
      popup.on('pageerror', (error) => phone.errors.push(`popup: ${error.message}`));
      phone.popups.push(popup);
    });
    page.on('request', (request) => {
      if (request.url().endsWith('/graphql') && request.headers().accept === 'text/event-stream')
        phone.subscriptions.push(request.postData() ?? '');
    });
    return phone;
  }

  /** Every popup the game opened (Coinslot's window), oldest first. */
  readonly popups: Page[] = [];

  /** Uncaught errors in the page; the test asserts there are none. */
  readonly errors: string[] = [];

  /** Bodies of the GraphQL subscriptions the page opened over SSE. */
  readonly subscriptions: string[] = [];

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.profile, { recursive: true, force: true });
  }

  /** Saves a screenshot as test-results/e2e/<label>-<nn>-<name>.png. */
  async shot(name: string): Promise<void> {
    this.shots += 1;
    await this.page.screenshot({
      path: join(SHOT_DIR, `${this.label}-${String(this.shots).padStart(2, '0')}-${name}.png`),
    });
  }

  /** axe-core on the game page and, when open, Coinslot's window: no critical or serious violation. */
  async expectAccessible(where: string): Promise<void> {
    const findings = await axeSerious(this.page);
    const open = this.popups.at(-1);
    if (open && !open.isClosed()) findings.push(...(await axeSerious(open)));
    expect(findings, `axe-core on ${where}`).toEqual([]);
  }

  /** Popups already handed out by sheet(). */
  private taken = 0;

  /** The next Coinslot window the game opened (not handed out before, still open), once it shows Coinslot. */
  async sheet(): Promise<Page> {
    let popup: Page | undefined;
    await expect
      .poll(
        () => {
          const index = this.popups.findIndex((p, i) => i >= this.taken && !p.isClosed() && p.url().startsWith('http'));
          if (index < 0) return false;
          popup = this.popups[index];
          this.taken = index + 1;
          return true;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await popup!.waitForLoadState('domcontentloaded');
    return popup!;
  }

  /** Saves a screenshot of Coinslot's window as test-results/e2e/<label>-<nn>-<name>.png. */
  async shotOf(popup: Page, name: string): Promise<void> {
    this.shots += 1;
    await popup.screenshot({
      path: join(SHOT_DIR, `${this.label}-${String(this.shots).padStart(2, '0')}-${name}.png`),
    });
  }

  async lives(): Promise<number> {
    return Number(await this.page.locator('#lives').textContent());
  }

  /** Extra lives saved in Coinslot, as the HUD shows them ("+2"; 0 when the badge is hidden). */
  async extraLives(): Promise<number> {
    const badge = this.page.locator('#extra-lives');
    if (await badge.isHidden()) return 0;
    return Number((await badge.textContent())?.replace(/[^0-9]/g, '') ?? '0');
  }

  async gems(): Promise<string> {
    return (await this.page.locator('#gems').textContent())?.trim() ?? '';
  }

  /** The player's game token, as the game keeps it (to check the server's records in the test). */
  async gameToken(): Promise<string | null> {
    return this.page.evaluate(() => localStorage.getItem('comet-dodge.gameToken'));
  }

  buyButton(itemName: string) {
    return this.page.getByRole('button', { name: new RegExp(`^Buy ${itemName} for `) });
  }

  itemNote(itemName: string) {
    return this.page.getByRole('listitem', { name: itemName }).locator('.item-note');
  }

  async openShop(): Promise<void> {
    if (await this.page.getByRole('dialog', { name: 'Shop' }).isVisible()) return;
    await this.page.locator('#open-shop').click();
    await expect.poll(() => this.page.getByRole('dialog', { name: 'Shop' }).isVisible()).toBe(true);
    await this.page.getByRole('list', { name: 'Items for sale' }).getByRole('listitem').first().waitFor();
  }

  /**
   * In Coinslot's window: signs up, adds the test card by tapping it in the sandbox list, authorizes the
   * allowance; the window closes and the game exchanges the code.
   */
  async connectInSheet(options: {
    email: string;
    card: string;
    oneTapMax: string;
    displayName?: string;
    /** Also run axe-core on each of the sheet's screens. */
    axe?: boolean;
  }): Promise<void> {
    const sheet = await this.sheet();
    await sheet.getByLabel('Your name').fill(options.displayName ?? 'Pat');
    await sheet.getByLabel('Email').fill(options.email);
    await sheet.getByLabel(/^Password/).fill('a long enough password');
    await this.shotOf(sheet, 'sign-up');
    if (options.axe) await this.expectAccessible('the pay sheet’s sign-up');
    await sheet.getByRole('button', { name: 'Create Coinslot account' }).click();
    await sheet.getByRole('heading', { name: 'Add a card' }).waitFor();
    await sheet.getByRole('button', { name: new RegExp(`^Use test card ${options.card}`) }).click();
    await this.shotOf(sheet, 'add-card');
    if (options.axe) await this.expectAccessible('the pay sheet’s add-card step');
    await sheet.getByRole('button', { name: 'Save card and continue' }).click();
    await sheet.getByRole('heading', { name: /to charge with one tap\?$/ }).waitFor();
    await sheet.getByRole('radio', { name: options.oneTapMax, exact: true }).check();
    // "You can change or revoke this any time" links to where that is done.
    expect(await sheet.getByRole('link', { name: 'your Coinslot account' }).getAttribute('href')).toBe(
      '/account#games-title',
    );
    await this.shotOf(sheet, 'authorize');
    if (options.axe) await this.expectAccessible('the pay sheet’s allowance step');
    await sheet.getByRole('button', { name: 'Allow one-tap purchases' }).click();
    await expect.poll(() => sheet.isClosed(), { timeout: 15_000 }).toBe(true);
  }
}

/**
 * Comet Dodge as the browser tests run it: Coinslot on 127.0.0.1, the game on its own site
 * (`localhost`), with the demo's catalog and gems.
 */
export function cometDodge(app: TestApp): Promise<ThirdPartyGame> {
  return thirdPartyGame(app, {
    name: 'Comet Dodge',
    theme: 'comet',
    currency: 'USD',
    virtualCurrency: { code: 'GEM', name: 'Gems' },
    items: DEMO_ITEMS,
    host: '127.0.0.1',
    originHost: 'localhost',
  });
}

export interface ThirdPartyGame {
  readonly gameId: string;
  readonly publishableKey: string;
  readonly devToken: string;
  /** The game's page on its own site (another origin than Coinslot's). */
  readonly url: string;
  readonly origin: string;
  readonly site: DemoSite;
}

/**
 * A studio's game as a real third party: a developer, the game with its currency and items, the built
 * demo served on its own site (`host`, named `originHost` in its origin), and that origin registered
 * on the game (updateGame), as a studio does.
 */
export async function thirdPartyGame(
  app: TestApp,
  options: {
    name: string;
    theme: 'comet' | 'garden';
    currency: string;
    virtualCurrency: { code: string; name: string };
    items: readonly ItemDefinition[];
    host: string;
    originHost?: string;
  },
): Promise<ThirdPartyGame> {
  const dev = await app.gql(SIGN_UP_DEVELOPER, {
    input: { email: uniqueEmail('e2e-dev'), password: 'developer-password', name: `${options.name} studio` },
  });
  const devToken = expectTypename(dev.data.signUpDeveloper, 'DeveloperAuthPayload').token;
  const created = expectTypename(
    (
      await app.gql(
        CREATE_GAME,
        { input: { name: options.name, defaultCurrency: options.currency } },
        { token: devToken },
      )
    ).data.createGame,
    'CreateGamePayload',
  );
  const gameId = created.game.id;
  const currency = await app.gql(
    DEFINE_CURRENCY,
    { input: { gameId, ...options.virtualCurrency } },
    { token: devToken },
  );
  expect(currency.data.defineCurrency.__typename).toBe('DefineCurrencyPayload');
  for (const item of options.items) {
    const res = await app.gql(
      CREATE_ITEM,
      { input: { gameId, ...item, prices: [...item.prices] } },
      { token: devToken },
    );
    expect(res.data.createItem.__typename, JSON.stringify(res.data)).toBe('CreateItemPayload');
  }
  const publishableKey = created.publishableKey;
  const site = await startDemoSite({
    host: options.host,
    originHost: options.originHost ?? options.host,
    port: 0,
    config: {
      apiOrigin: app.url!,
      gameId,
      publishableKey,
      name: options.name,
      theme: options.theme,
      sandbox: true,
    },
  });
  const updated = await app.gql(UPDATE_GAME, { input: { gameId, allowedOrigins: [site.origin] } }, { token: devToken });
  expect(expectTypename(updated.data.updateGame, 'UpdateGamePayload').game.allowedOrigins).toEqual([site.origin]);
  return { gameId, publishableKey, devToken, url: `${site.origin}/`, origin: site.origin, site };
}
