// `npm run acquirer`: the sandbox acquirer alone, on ACQUIRER_PORT, with ACQUIRER_SECRET, on DATABASE_URL (or its own PGlite under DATA_DIR/acquirer).
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { createAcquirerServer } from './server.js';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
// PGlite allows one process per data folder, so the standalone acquirer keeps its own beside Coinslot's.
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: join(config.dataDir, 'acquirer'),
  poolSize: Math.min(config.DATABASE_POOL_SIZE, 10),
});
await runMigrations(database);
const acquirer = createAcquirerServer({
  db: database.db,
  secret: config.secrets.acquirerSecret,
  testMode: config.ACQUIRER_TEST_MODE,
  disputeDelayMs: config.ACQUIRER_DISPUTE_DELAY,
  logger,
});
const url = await acquirer.listen(config.ACQUIRER_PORT, config.HOST);
if (config.generatedSecrets.includes('ACQUIRER_SECRET'))
  logger.warn('ACQUIRER_SECRET was not set: generated one into DATA_DIR/secrets');
console.log(
  `sandbox acquirer listening on ${url}${config.ACQUIRER_TEST_MODE ? ' (test mode: fault injection on)' : ''}`,
);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping sandbox acquirer');
  await acquirer.close();
  await database.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
