// GraphiQL in Chromium (issue 17, items 4 and 12): served by Coinslot itself (no request leaves for
// another host), sandboxed into an opaque origin so that it cannot read the player session the web
// front keeps in Coinslot's localStorage, and still able to run a query against /graphql.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

describe('GraphiQL in a browser', () => {
  let app: TestApp;
  let context: BrowserContext;

  beforeAll(async () => {
    app = await createTestApp({ listen: true, env: { GRAPHIQL: 'true', INTROSPECTION: 'true' } });
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'coinslot-graphiql-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox'],
    });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await app?.close();
  });

  it('loads from Coinslot only, runs a query, and cannot read the session of the web front', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const foreign: string[] = [];
    const errors: string[] = [];
    const origin = new URL(app.url!).origin;
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) foreign.push(url);
    });
    // Refusals that would mean the page is broken: a CSP violation, a storage access that threw, a blocked fetch.
    // (Monaco cannot start its language workers in an opaque origin and runs them on the page instead:
    // it warns and reports their error events, which do not stop GraphiQL.)
    const broken = /Content Security Policy|SecurityError|localStorage|CORS/i;
    page.on('pageerror', (error) => {
      if (broken.test(`${error.name} ${error.message}`)) errors.push(error.message);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && broken.test(message.text())) errors.push(message.text());
    });

    // The web front's session, as web/session.ts keeps it, on Coinslot's origin.
    await page.goto(`${app.url}/healthz`);
    await page.evaluate(() => localStorage.setItem('coinslot.session', JSON.stringify({ token: 'ps_secret-session' })));

    const response = await page.goto(`${app.url}/graphql`);
    expect(response?.headers()['content-security-policy']).toMatch(/^sandbox /);
    // GraphiQL renders (its editor and run button)
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });

    // An opaque origin: Coinslot's storage is out of reach; GraphiQL runs on memory storage.
    const probe = await page.evaluate(() => ({
      origin: window.origin,
      session: localStorage.getItem('coinslot.session'),
      cookie: (() => {
        try {
          return document.cookie;
        } catch {
          return 'refused';
        }
      })(),
    }));
    expect(probe.origin).toBe('null');
    expect(probe.session).toBeNull();
    expect(probe.cookie).toBe('refused');

    // A query from the page reaches /graphql (CORS for the opaque origin, no credentials).
    const answer = await page.evaluate(async () => {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { kind } }' }),
      });
      return { status: res.status, body: await res.json() };
    });
    expect(answer).toEqual({ status: 200, body: { data: { viewer: { kind: 'ANONYMOUS' } } } });

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);
});
