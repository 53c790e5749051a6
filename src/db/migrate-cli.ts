// `npm run db:migrate`: applies drizzle/ to DATABASE_URL, or to the embedded PGlite in DATA_DIR.
import { loadConfig } from '../config.js';
import { openDatabase } from './client.js';
import { runMigrations } from './migrate.js';

const config = loadConfig();
const handle = await openDatabase({ url: config.DATABASE_URL, dataDir: config.dataDir });
await runMigrations(handle);
await handle.close();
console.log(`migrations applied to ${handle.kind === 'postgres' ? 'Postgres' : `PGlite in ${config.dataDir}`}`);
