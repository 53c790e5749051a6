import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import type { PgDialect, PgPreparedQuery, PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { Executor } from './client.js';

/**
 * Runs a hand-written statement (a CTE drizzle's builders cannot express) and returns its rows.
 * Both drivers answer `execute` with `{ rows }`; bigint columns come back as numbers (client.ts).
 */
export async function queryRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

interface NamingSession {
  readonly dialect: PgDialect;
  prepareQuery(query: { sql: string; params: unknown[] }, fields: undefined, name: string, isResponseInArrayMode: boolean): PgPreparedQuery<PreparedQueryConfig>;
}

/**
 * queryRows for a hot hand-written statement whose text varies with its shape (the number of rows it
 * writes): run as a named statement, `<prefix>_<hash of the text>`, so that Postgres parses and plans
 * each shape once per connection instead of on every call.
 */
export async function queryRowsPrepared<T>(executor: Executor, prefix: string, query: SQL): Promise<T[]> {
  const session = executor._.session as unknown as NamingSession;
  const built = session.dialect.sqlToQuery(query);
  const name = `${prefix}_${createHash('sha256').update(built.sql).digest('base64url').slice(0, 16)}`;
  const result = (await session.prepareQuery(built, undefined, name, false).execute()) as unknown as { rows: T[] };
  return result.rows;
}
