// Process entry: read config, start Coinslot (API, web front, sandbox acquirer) and the demo games on
// their own sites, print where to open them.
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './composition/index.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.LOG_LEVEL);
for (const name of config.generatedSecrets) {
  logger.warn(
    `${name} was not configured: generated one into ${config.dataDir}/secrets (fine for the demo; set it in production)`,
  );
}

const server = await startServer(config, { logger, demoSites: true });
const lines = [
  '',
  `  Coinslot is running (${server.database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}/pglite` : 'Postgres'}, ${server.stores.storeHealth.kind === 'redis' ? 'Redis' : 'in-process store'})`,
  '',
  ...server.demoSites.map((site) => `  ${site.name.padEnd(12)} ${site.url}  (a demo game on its own site)`),
  `  Coinslot     ${server.url}/account  (the player's account; the games open its consent and pay sheet)`,
  ...(config.GRAPHIQL ? [`  GraphiQL     ${server.url}/graphql`] : []),
  `  Health       ${server.url}/healthz  ·  ${server.url}/readyz  ·  ${server.metricsUrl ?? server.url}/metrics`,
  ...server.banner.map((line) => `  ${line}`),
  '',
];
console.log(lines.join('\n'));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  });
}
