import pg from 'pg';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { testDatabaseUrl } from './env.js';

/**
 * A database of its own beside the test database (`<test db>_<suffix>`), emptied and migrated.
 * For tests that run Coinslot processes with fast background recovery: on the shared test database
 * their recovery loop would settle other test files' PROCESSING purchases under those tests' feet.
 */
export async function isolatedDatabase(suffix: string): Promise<string> {
  if (!/^[a-z0-9_]{1,20}$/.test(suffix)) throw new RangeError('suffix: lower-case letters, digits, underscores');
  const base = new URL(testDatabaseUrl());
  const name = `${base.pathname.slice(1)}_${suffix}`;
  const url = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  const admin = new pg.Client({ connectionString: Object.assign(new URL(base), { pathname: '/postgres' }).toString() });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'drop schema if exists public cascade; drop schema if exists drizzle cascade; create schema public;',
    );
  } finally {
    await client.end();
  }
  const handle = await openDatabase({ url, dataDir: '.data/test' });
  try {
    await runMigrations(handle);
  } finally {
    await handle.close();
  }
  return url;
}
