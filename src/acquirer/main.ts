// `npm run acquirer`: the sandbox acquirer alone, on ACQUIRER_PORT, with ACQUIRER_SECRET, on DATABASE_URL (or its own PGlite under DATA_DIR/acquirer).
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startStandaloneAcquirer } from '../composition/index.js';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const acquirer = await startStandaloneAcquirer(config, logger);
const url = acquirer.url;
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
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
