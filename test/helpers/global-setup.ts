import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { testDatabaseUrl } from './env.js';

/**
 * Once per run: the web front and the demo games built as `npm start` builds them (the OAuth and
 * browser tests serve them; E2E_SKIP_BUILD=1 reuses the last build), and a fresh schema in the test
 * database, migrated from drizzle/ as production would be.
 */
export default async function setup(): Promise<void> {
  if (process.env.E2E_SKIP_BUILD !== '1') execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const url = new URL(testDatabaseUrl());
  const database = url.pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
  if (exists.rowCount === 0) await admin.query(`create database "${database.replace(/"/g, '')}"`);
  await admin.end();

  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(
    'drop schema if exists public cascade; drop schema if exists drizzle cascade; create schema public;',
  );
  await client.end();

  const handle = await openDatabase({ url: url.toString(), dataDir: '.data/test' });
  await runMigrations(handle);
  await handle.close();
}
