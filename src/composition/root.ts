import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { openStores, type Stores } from './stores.js';
import { buildApp, type App } from './app.js';
import type { Deps } from '../modules/service-context.js';
import { createMetrics } from '../http/metrics.js';
import { countOutboxBacklog, startWebhookDispatcher, type WebhookDispatcher } from '../modules/webhooks/index.js';
import { receiptKeyRing } from '../modules/receipts/index.js';
import { createPrincipalCache } from '../modules/accounts/index.js';
import { createAcquirerServer, type AcquirerServer } from '../acquirer/index.js';
import { createHttpAcquirer } from '../adapters/acquirer/http-acquirer.js';
import { traceAcquirer } from '../adapters/acquirer/traced-acquirer.js';
import { startTracing, type Tracing } from './tracing.js';
import { createOutboundHttp } from '../adapters/http/outbound-http.js';
import type { OutboundHttp } from '../shared/outbound-http-port.js';
import { startBackgroundWork, type BackgroundWork } from './background.js';
import { registerDemoOrigins, seedDemo, type DemoInfo } from './seed.js';
import { startDemoSite, startDemoSiteOnFirstHost, type DemoSite } from './demo-sites.js';
import { disputeCallback, DISPUTE_CALLBACK_PATH } from '../http/dispute-callback.js';
import { publicId } from '../shared/public-ids.js';
import { originOf } from '../http/cors.js';

/** Coinslot's web front (consent, pay sheet, account), built by `npm run build:web`. */
export const WEB_DIST = fileURLToPath(new URL('../../dist/web', import.meta.url));
/** The browser SDK (coinslot.js), built by `npm run build:sdk`. */
export const SDK_DIST = fileURLToPath(new URL('../../dist/sdk', import.meta.url));

export interface StartOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Listen on config.PORT (default true); false builds everything without a socket. */
  readonly listen?: boolean;
  /** The client for developer-supplied URLs; tests inject one with their own DNS lookup. */
  readonly outboundHttp?: OutboundHttp;
  /**
   * Serve the seeded demo games on their own sites (`npm start`; never in production): Comet Dodge on
   * http://localhost:<PORT+1>, Star Garden on http://127.0.0.2:<PORT+2>, their origins registered on them.
   */
  readonly demoSites?: boolean;
}

export interface RunningServer {
  /** What the process was configured with (read once by the caller). */
  readonly config: Config;
  readonly app: App;
  readonly deps: Deps;
  readonly database: DatabaseHandle;
  readonly stores: Stores;
  /** http://host:port of the API, once listening. */
  readonly url: string | null;
  /** http://host:port of the metrics listener (METRICS_ADDRESS), once listening; null without one. */
  readonly metricsUrl: string | null;
  /** The background webhook delivery loop (null when WEBHOOK_DISPATCHER=off); tests tick it. */
  readonly webhookDispatcher: WebhookDispatcher | null;
  /** Recovery and expiry loops (null when BACKGROUND_JOBS=false); tests run them by hand. */
  readonly background: BackgroundWork | null;
  /** Where the acquirer listens and its shared secret (tests arm faults with it). */
  readonly acquirer: { readonly url: string; readonly secret: string };
  /** The seeded demo game, when SEED_DEMO and the database was empty once. */
  readonly demo: DemoInfo | null;
  /** The demo games' sites (with `demoSites`), by name. */
  readonly demoSites: readonly { readonly name: string; readonly url: string }[];
  /** Lines for the start banner (acquirer URL, demo keys…). */
  readonly banner: string[];
  /** OpenTelemetry tracing (enabled with OTEL_EXPORTER_OTLP_ENDPOINT); close() flushes it. */
  readonly tracing: Pick<Tracing, 'enabled' | 'forceFlush'>;
  close(): Promise<void>;
}

/** The sandbox acquirer on `database`, listening on ACQUIRER_PORT (its `url` says where). */
export async function startSandboxAcquirer(
  config: Config,
  database: DatabaseHandle,
  options: { readonly clock?: Clock; readonly logger: Logger },
): Promise<AcquirerServer> {
  const sandbox = createAcquirerServer({
    db: database.db,
    secret: config.secrets.acquirerSecret,
    testMode: config.ACQUIRER_TEST_MODE,
    ...(options.clock ? { clock: options.clock } : {}),
    disputeDelayMs: config.ACQUIRER_DISPUTE_DELAY,
    logger: options.logger,
  });
  await sandbox.listen(config.ACQUIRER_PORT, config.HOST);
  return sandbox;
}

/** Opens the database (at most `poolSize` connections) and brings its schema up to date. */
export async function openMigratedDatabase(
  config: Config,
  options: { readonly dataDir?: string; readonly poolSize?: number; readonly trace?: boolean } = {},
): Promise<DatabaseHandle> {
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: options.dataDir ?? config.dataDir,
    poolSize: options.poolSize ?? config.DATABASE_POOL_SIZE,
    trace: options.trace,
  });
  await runMigrations(database);
  return database;
}

/**
 * What a cluster's primary runs before its workers: migrations once, and one sandbox acquirer for
 * all of them (unless ACQUIRER_URL names one). `acquirerUrl` goes to the workers' environment.
 */
export async function startClusterPrimary(
  config: Config,
  logger: Logger,
): Promise<{ readonly acquirerUrl: string; readonly sharedSandbox: boolean; close(): Promise<void> }> {
  const database = await openMigratedDatabase(config, { poolSize: Math.min(config.DATABASE_POOL_SIZE, 10) });
  const sandbox = config.ACQUIRER_URL ? null : await startSandboxAcquirer(config, database, { logger });
  return {
    acquirerUrl: sandbox?.url ?? (config.ACQUIRER_URL as string),
    sharedSandbox: sandbox !== null,
    async close() {
      await sandbox?.close();
      await database.close();
    },
  };
}

/**
 * `npm run acquirer`: the sandbox acquirer alone. PGlite allows one process per data folder, so it
 * keeps its own under DATA_DIR/acquirer beside Coinslot's.
 */
export async function startStandaloneAcquirer(
  config: Config,
  logger: Logger,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const database = await openMigratedDatabase(config, {
    dataDir: join(config.dataDir, 'acquirer'),
    poolSize: Math.min(config.DATABASE_POOL_SIZE, 10),
  });
  const sandbox = await startSandboxAcquirer(config, database, { logger });
  return {
    url: sandbox.url,
    async close() {
      await sandbox.close();
      await database.close();
    },
  };
}

/** Opens the database and stores, migrates, builds the app and listens: everything `npm start` runs. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  // First, so that every adapter below knows whether to make spans (nothing is loaded when it is off).
  const tracing = await startTracing(config, logger);
  const database = await openMigratedDatabase(config, { trace: tracing.enabled });
  const stores = await openStores(config, clock, logger, { trace: tracing.enabled });
  // The sandbox acquirer runs in-process on the same database unless ACQUIRER_URL points to one elsewhere.
  const sandbox = config.ACQUIRER_URL ? null : await startSandboxAcquirer(config, database, { clock, logger });
  const acquirerUrl = sandbox?.url ?? (config.ACQUIRER_URL as string);
  const acquirer = createHttpAcquirer({
    baseUrl: acquirerUrl,
    secret: config.secrets.acquirerSecret,
    timeoutMs: config.ACQUIRER_TIMEOUT,
    logger,
  });
  // Subscribed to revocations before the first request; bypassed whenever that subscription is not live.
  const principalCache = createPrincipalCache({
    ttlMs: config.PRINCIPAL_CACHE_TTL,
    pubsub: stores.pubsub,
    clock,
    logger,
  });
  await principalCache.start();
  const outboundHttp =
    options.outboundHttp ?? createOutboundHttp({ allowPrivateNetwork: config.WEBHOOK_ALLOW_PRIVATE_NETWORK });
  const metrics = createMetrics({ defaultMetrics: true });
  const deps: Deps = {
    metrics: metrics.business,
    config,
    db: database.db,
    clock,
    logger,
    rateLimiter: stores.rateLimiter,
    idempotencyStore: stores.idempotencyStore,
    pubsub: stores.pubsub,
    principalCache,
    storeHealth: stores.storeHealth,
    // a span per acquirer call, sent on as traceparent (only when tracing)
    acquirer: tracing.enabled ? traceAcquirer(acquirer, acquirerUrl) : acquirer,
    velocityStore: stores.velocityStore,
    outboundHttp,
  };
  metrics.readOutboxBacklog(() => countOutboxBacklog(deps.db));
  // A malformed RECEIPT_SIGNING_KEYS stops the start rather than the first sale.
  await receiptKeyRing(config);
  const demo = config.SEED_DEMO ? await seedDemo(deps, config.dataDir) : null;
  const app = buildApp(deps, {
    webDir: WEB_DIST,
    sdkDir: SDK_DIST,
    graphiql: config.GRAPHIQL,
    introspection: config.INTROSPECTION,
    maxBodyBytes: config.MAX_BODY_BYTES,
    // production without METRICS_TOKEN or METRICS_ADDRESS: a token nobody has, so /metrics answers no one
    metricsToken:
      config.METRICS_TOKEN ??
      (config.NODE_ENV === 'production' && !config.METRICS_ADDRESS ? randomBytes(32).toString('hex') : undefined),
    // with METRICS_ADDRESS, /metrics is served there only
    metricsRoute: !config.METRICS_ADDRESS,
    cors: {
      ownOrigins: [originOf(config.PUBLIC_URL)].filter((o): o is string => o !== null),
      ttlMs: config.CORS_ORIGINS_TTL,
    },
    metrics,
    tracing: tracing.enabled,
    routes: [
      // Disputes pushed by the acquirer (the background poll picks up any it misses).
      { method: 'POST', pattern: /^\/acquirer\/disputes$/, handle: (request) => disputeCallback(deps, request) },
    ],
  });

  const banner: string[] = [`sandbox acquirer: ${acquirerUrl}${sandbox ? ' (in-process)' : ''}`];
  const webhookDispatcher = config.WEBHOOK_DISPATCHER ? await startWebhookDispatcher(deps) : null;
  const background = config.BACKGROUND_JOBS ? startBackgroundWork(deps) : null;
  // The pass at start: purchases a crash left PROCESSING are finished before new traffic piles up.
  await background?.runOnce();
  // Secrets on the console are a development convenience; production prints none.
  const printSecrets = config.NODE_ENV !== 'production';
  if (demo && printSecrets) {
    banner.push(`demo developer: ${demo.developerEmail} / ${demo.developerPassword}`);
    for (const [name, game] of [
      ['Comet Dodge', demo],
      ['Star Garden', demo.second],
    ] as const) {
      if (!game) continue;
      banner.push(
        `${name}: game id ${publicId('Game', game.gameId)}  keys ${game.publishableKey} (publishable), ${game.secretKey} (secret)`,
      );
    }
  }
  if (printSecrets) banner.push(`operator token: ${config.secrets.operatorToken}`);
  let server: Server | null = null;
  let metricsServer: Server | null = null;
  let url: string | null = null;
  let metricsUrl: string | null = null;
  if (options.listen !== false && config.METRICS_ADDRESS) {
    // A second listener for the scraper alone (e.g. loopback or a private interface): /metrics, nothing else.
    const [, bracketed, plain, port] = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(config.METRICS_ADDRESS)!;
    metricsServer = createServer((req, res) => app.metricsHandler(req, res, { ip: req.socket.remoteAddress ?? null }));
    await new Promise<void>((resolve, reject) => {
      metricsServer!.once('error', reject);
      metricsServer!.listen(Number(port), bracketed ?? plain, () => resolve());
    });
    metricsUrl = listeningUrl(metricsServer);
  }
  if (options.listen !== false) {
    server = createServer((req, res) => app.handler(req, res, { ip: req.socket.remoteAddress ?? null }));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.PORT, config.HOST, () => resolve());
    });
    url = listeningUrl(server);
    // Ask the acquirer to push disputes here; a failure only leaves them to the poll.
    const callbackUrl = `${config.PUBLIC_URL?.replace(/\/$/, '') ?? url}${DISPUTE_CALLBACK_PATH}`;
    await acquirer
      .registerDisputeCallback(callbackUrl)
      .catch((error: unknown) => logger.warn({ err: error, callbackUrl }, 'could not register the dispute callback'));
  }

  // The demo games as third parties, each on its own site; their origins registered (development only).
  const sites: DemoSite[] = [];
  const demoSites: { name: string; url: string }[] = [];
  if (options.demoSites && demo && url && config.NODE_ENV !== 'production') {
    const port = (offset: number) => (config.PORT === 0 ? 0 : config.PORT + offset);
    const games = [
      {
        name: 'Comet Dodge',
        theme: 'comet' as const,
        info: demo,
        hosts: ['127.0.0.1'],
        originHost: 'localhost' as string | undefined,
        port: port(1),
      },
      ...(demo.second
        ? [
            {
              name: 'Star Garden',
              theme: 'garden' as const,
              info: demo.second,
              // A third site: 127.0.0.2 on Linux; macOS has only 127.0.0.1, and ::1 is another site too.
              hosts: ['127.0.0.2', '::1'],
              originHost: undefined,
              port: port(2),
            },
          ]
        : []),
    ];
    for (const game of games) {
      const siteConfig = {
        apiOrigin: config.PUBLIC_URL?.replace(/\/$/, '') ?? url,
        gameId: publicId('Game', game.info.gameId),
        publishableKey: game.info.publishableKey,
        name: game.name,
        theme: game.theme,
        sandbox: config.sandbox,
      };
      const site = game.originHost
        ? await startDemoSite({
            host: game.hosts[0]!,
            originHost: game.originHost,
            port: game.port,
            config: siteConfig,
          })
        : await startDemoSiteOnFirstHost(game.hosts, { port: game.port, config: siteConfig });
      sites.push(site);
      demoSites.push({ name: game.name, url: `${site.origin}/` });
    }
    await registerDemoOrigins(
      deps,
      games.map((game, i) => ({ gameId: game.info.gameId, origin: sites[i]!.origin })),
    );
    // This instance's CORS snapshot learns them now (updateGame through GraphQL does the same).
    app.cors.invalidate();
  }

  return {
    config,
    app,
    deps,
    database,
    stores,
    url,
    metricsUrl,
    webhookDispatcher,
    background,
    acquirer: { url: acquirerUrl, secret: config.secrets.acquirerSecret },
    demo,
    demoSites,
    banner,
    tracing,
    async close() {
      await Promise.all(sites.map((site) => site.close()));
      if (metricsServer) {
        metricsServer.closeIdleConnections();
        await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
      }
      if (server) {
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      await background?.stop();
      await webhookDispatcher?.stop();
      await acquirer.close();
      await outboundHttp.close();
      await sandbox?.close();
      await principalCache.stop();
      await stores.close();
      await database.close();
      // last: the spans of everything above are exported before the process goes
      await tracing.shutdown();
    },
  };
}

/** http://host:port of a listening server. */
function listeningUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
