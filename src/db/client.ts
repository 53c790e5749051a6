import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import * as schema from './schema/index.js';
import { postgresTarget, tracePglite, tracePool } from './traced-client.js';

export type Schema = typeof schema;
/** A drizzle database on either driver; modules only see this. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Where a verb runs its statements: the database, or a transaction its caller opened. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'postgres' | 'pglite';
  /** The raw client, for drivers' own helpers (migrations, pool metrics). */
  readonly pool: pg.Pool | null;
  readonly pglite: PGlite | null;
  close(): Promise<void>;
}

// bigint columns come back as numbers (mode: 'number'); int8 sums must not turn into strings either.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} is beyond safe integers`);
  return n;
});

export interface DatabaseOptions {
  readonly url?: string | undefined;
  readonly dataDir: string;
  readonly poolSize?: number;
  /** PGlite only: keep everything in memory (tests). */
  readonly inMemory?: boolean;
  /** A span per statement run inside a traced request (only when an OTel SDK is configured). */
  readonly trace?: boolean;
}

/** Postgres through a pg pool when a URL is given, otherwise PGlite in DATA_DIR/pglite. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 20,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => {});
    if (options.trace) tracePool(pool, postgresTarget(options.url));
    return {
      db: drizzlePg({ client: pool, schema, casing: 'snake_case' }) as unknown as Database,
      kind: 'postgres',
      pool,
      pglite: null,
      close: () => pool.end(),
    };
  }
  let dir: string | undefined;
  if (!options.inMemory) {
    dir = join(options.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
  }
  const pglite = await PGlite.create(dir ?? 'memory://', { relaxedDurability: false });
  if (options.trace) tracePglite(pglite);
  return {
    db: drizzlePglite({ client: pglite, schema, casing: 'snake_case' }) as unknown as Database,
    kind: 'pglite',
    pool: null,
    pglite,
    close: () => pglite.close(),
  };
}
