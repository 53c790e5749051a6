// Flows for the demo-game e2e test: a phone-sized Chromium, the game page, the Coinslot pay sheet inside it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Frame, type FrameLocator, type Page } from 'playwright-core';
import { expect } from 'vitest';

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
 * Runs axe-core in a page or frame (each frame on its own: the pay sheet is another document) and
 * returns its critical and serious violations, which the tests expect to be none.
 */
export async function axeSerious(target: Page | Frame): Promise<AxeFinding[]> {
  const loaded = await target.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  // Evaluated through the DevTools protocol, not as an inline <script>: the pay sheet's CSP
  // (script-src 'self') refuses inline scripts, and must stay on in the test.
  if (!loaded) await target.evaluate(AXE_SOURCE);
  return target.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<any> } }).axe;
    const result = await axe.run(document, { iframes: false, resultTypes: ['violations'] });
    return (result.violations as any[])
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => ({
        id: v.id as string,
        impact: v.impact as string,
        help: v.help as string,
        targets: (v.nodes as any[]).map((n) => String(n.target)),
      }));
  });
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
    page.on('request', (request) => {
      if (request.url().endsWith('/graphql') && request.headers().accept === 'text/event-stream')
        phone.subscriptions.push(request.postData() ?? '');
    });
    return phone;
  }

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

  /** axe-core on the game page and, when open, the pay sheet's frame: no critical or serious violation. */
  async expectAccessible(where: string): Promise<void> {
    const findings = await axeSerious(this.page);
    for (const frame of this.page.frames())
      if (frame !== this.page.mainFrame()) findings.push(...(await axeSerious(frame)));
    expect(findings, `axe-core on ${where}`).toEqual([]);
  }

  /** The Coinslot pay sheet inside the game's overlay. */
  get sheet(): FrameLocator {
    return this.page.frameLocator('iframe[title="Coinslot pay sheet"]');
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

  /** Signs up in the pay sheet, adds the test card by tapping it in the sandbox list, authorizes the allowance. */
  async connectInSheet(options: {
    email: string;
    card: string;
    oneTapMax: string;
    displayName?: string;
    /** Also run axe-core on each of the sheet's screens. */
    axe?: boolean;
  }): Promise<void> {
    const sheet = this.sheet;
    await sheet.getByLabel('Your name').fill(options.displayName ?? 'Pat');
    await sheet.getByLabel('Email').fill(options.email);
    await sheet.getByLabel(/^Password/).fill('a long enough password');
    await this.shot('sign-up');
    if (options.axe) await this.expectAccessible('the pay sheet’s sign-up');
    await sheet.getByRole('button', { name: 'Create Coinslot account' }).click();
    await sheet.getByRole('heading', { name: 'Add a card' }).waitFor();
    await sheet.getByRole('button', { name: new RegExp(`^Use test card ${options.card}`) }).click();
    await this.shot('add-card');
    if (options.axe) await this.expectAccessible('the pay sheet’s add-card step');
    await sheet.getByRole('button', { name: 'Save card and continue' }).click();
    await sheet.getByRole('heading', { name: /to charge with one tap\?$/ }).waitFor();
    await sheet.getByRole('radio', { name: options.oneTapMax, exact: true }).check();
    await this.shot('authorize');
    if (options.axe) await this.expectAccessible('the pay sheet’s allowance step');
    await sheet.getByRole('button', { name: 'Allow one-tap purchases' }).click();
  }
}
