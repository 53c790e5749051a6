// Issue 16, item 6, against the real process: `tsx src/main.ts` as `npm start` runs it (development,
// demo seeded). Coinslot serves the API, consent and pay pages on its origin; each demo game is served
// on a site of its own (another host, not only another port), prints where, reads Coinslot's origin
// and its own game from its site, and is registered as its own game: its origin and no other.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../../helpers/env.js';
import { startDemoSiteOnFirstHost } from '../../../src/composition/index.js';
import { graphql } from '../../helpers/graphql.js';
import { httpGql } from '../../helpers/http-client.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';
import { waitFor } from '../../helpers/processes.js';

const CATALOG = graphql(
  `query DemoStartCatalog($gameId: ID!) { catalog(gameId: $gameId) { sku prices { currency } } }`,
);

interface Site {
  readonly name: string;
  readonly origin: string;
  readonly config: { apiOrigin: string; gameId: string; publishableKey: string; name: string; theme: string };
}

let child: ChildProcess;
let output = '';
let dataDir = '';
let coinslot = '';
let sites: Site[] = [];

beforeAll(async () => {
  const databaseUrl = await isolatedDatabase('demo_start');
  dataDir = mkdtempSync(join(tmpdir(), 'coinslot-demo-start-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `demostart${Date.now()}:`,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(() => /Health\s+http:\/\/\S+\/healthz/.test(output) || child.exitCode !== null, 90_000, 'the banner');
  expect(child.exitCode, output).toBeNull();
  coinslot = /Coinslot\s+(http:\/\/\S+)\/account/.exec(output)![1]!;
  sites = await Promise.all(
    [...output.matchAll(/^\s+(Comet Dodge|Star Garden)\s+(http:\/\/\S+)\/\s+\(a demo game on its own site\)/gm)].map(
      async ([, name, origin]) => {
        const response = await fetch(`${origin}/demo-config.json`);
        expect(response.status).toBe(200);
        return { name: name!, origin: origin!, config: (await response.json()) as Site['config'] };
      },
    ),
  );
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const authorize = (gameId: string, origin: string) => {
  const url = new URL('/oauth/authorize', coinslot);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: gameId,
    redirect_uri: origin,
    response_mode: 'web_message',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'demo-start',
  }).toString();
  return fetch(url, { redirect: 'manual' });
};

describe('npm start: Coinslot on its origin, two demo games each on a site of its own', () => {
  it('prints Coinslot and both games, on three different hosts, all loopback', () => {
    expect(sites.map((s) => s.name)).toEqual(['Comet Dodge', 'Star Garden']);
    const hosts = [coinslot, ...sites.map((s) => s.origin)].map((url) => new URL(url).hostname);
    // Another host is another site to the browser (another port alone is not): three partitions.
    expect(new Set(hosts).size).toBe(3);
    for (const host of hosts) expect(['localhost', '[::1]'].includes(host) || /^127\./.test(host), host).toBe(true);
  });

  it('each site serves the game, which knows Coinslot’s origin and its own game, and Coinslot does not', async () => {
    for (const site of sites) {
      const page = await fetch(`${site.origin}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('id="playfield"');
      expect(site.config).toMatchObject({
        apiOrigin: coinslot,
        name: site.name,
        gameId: expect.stringMatching(/^gam_/),
      });
      expect(output).toContain(`${site.name}: game id ${site.config.gameId}`);
    }
    expect(sites[0]!.config.gameId).not.toBe(sites[1]!.config.gameId);
    expect(sites[0]!.config.theme).not.toBe(sites[1]!.config.theme);
    // Coinslot's origin serves no game page; its own web front answers /account.
    expect(await (await fetch(`${coinslot}/`)).text()).not.toContain('id="playfield"');
    const account = await fetch(`${coinslot}/account`);
    expect(account.status).toBe(200);
    expect(await account.text()).not.toContain('id="playfield"');
  });

  it('each game has its own catalog, read with its publishable key from its own origin (CORS)', async () => {
    const catalogs = [];
    for (const site of sites) {
      const res = await httpGql(
        coinslot,
        CATALOG,
        { gameId: site.config.gameId },
        { token: site.config.publishableKey },
      );
      expect(res.errors).toBeUndefined();
      catalogs.push(res.data!.catalog);
      const preflight = await fetch(`${coinslot}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: site.origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe(site.origin);
    }
    const [comet, garden] = catalogs;
    expect(comet!.length).toBeGreaterThan(0);
    expect(garden!.length).toBeGreaterThan(0);
    expect(comet!.flatMap((i) => i.prices.map((p) => p.currency))).toContain('USD');
    expect(garden!.flatMap((i) => i.prices.map((p) => p.currency))).toContain('EUR');
    const cometSkus = new Set(comet!.map((i) => i.sku));
    expect(garden!.filter((i) => cometSkus.has(i.sku))).toEqual([]);
  });

  it('each game is registered for its own site only: consent opens for it, an error page for the other', async () => {
    const [comet, garden] = sites as [Site, Site];
    expect((await authorize(comet.config.gameId, comet.origin)).status).toBe(200);
    expect((await authorize(garden.config.gameId, garden.origin)).status).toBe(200);
    for (const [game, origin] of [
      [comet.config.gameId, garden.origin],
      [garden.config.gameId, comet.origin],
      [comet.config.gameId, coinslot],
    ] as const) {
      const refused = await authorize(game, origin);
      expect(refused.status, `${game} from ${origin}`).toBe(400);
      expect(refused.headers.get('location')).toBeNull();
    }
  });
});

describe('a machine without 127.0.0.2 (macOS)', () => {
  const config = {
    apiOrigin: 'http://127.0.0.1:1',
    gameId: 'gam_x',
    publishableKey: 'pk_x',
    name: 'Star Garden',
    theme: 'garden' as const,
    sandbox: true,
  };

  it('serves the second game on the next loopback host it has, ::1, named in brackets', async () => {
    // 192.0.2.1 (TEST-NET-1) is an address this machine does not have, as 127.0.0.2 on macOS.
    const site = await startDemoSiteOnFirstHost(['192.0.2.1', '::1'], { port: 0, config });
    try {
      expect(site.origin).toMatch(/^http:\/\/\[::1\]:\d+$/);
      const response = await fetch(`${site.origin}/demo-config.json`);
      expect(((await response.json()) as { name: string }).name).toBe('Star Garden');
    } finally {
      await site.close();
    }
  });

  it('stops when no host is there, and at any other error (a port taken)', async () => {
    await expect(startDemoSiteOnFirstHost(['192.0.2.1'], { port: 0, config })).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
    });
    const taken = await startDemoSiteOnFirstHost(['127.0.0.1'], { port: 0, config });
    try {
      const port = Number(new URL(taken.origin).port);
      await expect(startDemoSiteOnFirstHost(['127.0.0.1', '::1'], { port, config })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await taken.close();
    }
  });
});
