// The demo games as real third parties: each on its own site (its own origin), serving its built files
// and a /demo-config.json that tells it where Coinslot is and which game it is. Nothing of Coinslot runs
// here: the game talks to Coinslot's public GraphQL API and loads coinslot.js from Coinslot's origin.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServerAdapter } from '@whatwg-node/server';
import { staticFiles } from '../http/static-files.js';

/** The demo game, built by `npm run build:game`. */
export const GAME_DIST = fileURLToPath(new URL('../../dist/game-demo', import.meta.url));

/** What a demo game reads at start (public by design: a game id and a publishable key). */
export interface DemoSiteConfig {
  /** Coinslot's origin: the API at /graphql, coinslot.js at /sdk/coinslot.js, the consent and pay pages. */
  readonly apiOrigin: string;
  readonly gameId: string;
  readonly publishableKey: string;
  /** The game's name and look (the same demo code dresses as two games). */
  readonly name: string;
  readonly theme: 'comet' | 'garden';
  /** Cards go to the sandbox acquirer: the pay sheet lists its test cards. */
  readonly sandbox: boolean;
}

export interface DemoSite {
  /** http://host:port: the site's origin, which the game registers in allowedOrigins. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Serves one demo game on `host:port` (0: any free port); `originHost` names it in its origin
 * (`localhost` while listening on 127.0.0.1: another site than Coinslot's 127.0.0.1 to the browser).
 */
export async function startDemoSite(options: {
  readonly host: string;
  readonly originHost?: string;
  readonly port: number;
  readonly config: DemoSiteConfig;
  readonly dir?: string;
}): Promise<DemoSite> {
  const files = staticFiles(options.dir ?? GAME_DIST, { fallbackToIndex: true });
  const adapter = createServerAdapter(async (request: Request) => {
    const url = new URL(request.url);
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new Response('method not allowed', { status: 405, headers: { allow: 'GET, HEAD' } });
    if (url.pathname === '/demo-config.json')
      return Response.json(options.config, { headers: { 'cache-control': 'no-store' } });
    try {
      decodeURIComponent(url.pathname);
    } catch {
      return new Response('malformed path', { status: 400 });
    }
    return (
      (await files(url.pathname)) ??
      new Response('not found (npm run build:game)', { status: 404, headers: { 'content-type': 'text/plain' } })
    );
  });
  const server: Server = createServer(adapter);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${options.originHost ?? options.host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Serves a demo game on the first of `hosts` this machine has (`127.0.0.2` is loopback on Linux but
 * not configured on macOS, where `::1` is another loopback site): a host the machine does not have is
 * skipped, any other error stops. The origin names an IPv6 host in brackets.
 */
export async function startDemoSiteOnFirstHost(
  hosts: readonly string[],
  options: Omit<Parameters<typeof startDemoSite>[0], 'host' | 'originHost'>,
): Promise<DemoSite> {
  let last: unknown = new Error('no host to serve the demo game on');
  for (const host of hosts) {
    try {
      return await startDemoSite({ ...options, host, originHost: host.includes(':') ? `[${host}]` : host });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT') throw error;
      last = error;
    }
  }
  throw last;
}
