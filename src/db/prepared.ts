import { createHash } from 'node:crypto';
import { getTableColumns, sql, type Placeholder, type Query, type SQL, type Table } from 'drizzle-orm';
import { PgTransaction, type PgDialect, type PgPreparedQuery, type PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { Executor, Transaction } from './client.js';

/** What a prepared statement of either driver holds: the connection it runs on is `client`. */
interface DriverSession {
  readonly client: unknown;
  readonly dialect: PgDialect;
  prepareQuery(
    query: Query,
    fields: undefined,
    name: string | undefined,
    isResponseInArrayMode: boolean,
  ): PgPreparedQuery<PreparedQueryConfig>;
}

function sessionOf(executor: Executor): DriverSession {
  return executor._.session as unknown as DriverSession;
}

/**
 * A statement built once per driver and prepared under a name: drizzle builds its SQL once instead
 * of on every call (its builders cost ~0.3 ms of CPU per statement here), and Postgres parses and
 * plans it once per pooled connection (bench/RESULTS.md: 3–4× less CPU per statement on both sides).
 * It runs on the executor it is given: the pool, or a transaction's connection, where drizzle's own
 * prepare() would stay bound to the executor it was built on.
 */
export function preparedStatement<T extends object>(build: (executor: Executor) => T): (executor: Executor) => T {
  // keyed by the session's class: one build serves every database and transaction of a driver
  const perDriver = new WeakMap<object, T>();
  return (executor) => {
    const session = sessionOf(executor);
    let statement = perDriver.get(session.constructor);
    if (statement === undefined) {
      statement = build(executor);
      perDriver.set(session.constructor, statement);
    }
    // The built statement's only tie to a connection is its `client`; run it on this executor's.
    return Object.create(statement, { client: { value: session.client } }) as T;
  };
}

/** A hand-written statement (placeholders via sql.placeholder), prepared once per driver like preparedStatement. */
export interface PreparedSql {
  execute<Row>(executor: Executor, values?: Record<string, unknown>): Promise<Row[]>;
}

export function preparedSql(name: string, query: SQL): PreparedSql {
  const statement = preparedStatement((executor) => {
    const session = sessionOf(executor);
    return session.prepareQuery(session.dialect.sqlToQuery(query), undefined, name, false);
  });
  return {
    async execute<Row>(executor: Executor, values: Record<string, unknown> = {}) {
      // both drivers answer a statement without mapped fields with their raw result: `{ rows }`
      const result = (await statement(executor).execute(values)) as unknown as { rows: Row[] };
      return result.rows;
    },
  };
}

/**
 * A hand-written statement whose text varies with its shape (the number of rows it writes), values
 * inline: run as a named statement, `<prefix>_<hash of the text>`, so that Postgres parses and plans
 * each shape once per connection instead of on every call.
 */
export async function queryRowsPrepared<Row>(executor: Executor, prefix: string, query: SQL): Promise<Row[]> {
  const session = sessionOf(executor);
  const built = session.dialect.sqlToQuery(query);
  const name = `${prefix}_${createHash('sha256').update(built.sql).digest('base64url').slice(0, 16)}`;
  const result = (await session.prepareQuery(built, undefined, name, false).execute()) as unknown as { rows: Row[] };
  return result.rows;
}

/**
 * A placeholder as a column's value in a prepared insert or update, passed to the driver as given
 * (not through the column's encoder): a null stays SQL NULL, so callers pass driver values (dates as
 * ISO text, jsonb as JSON text).
 */
export function bareValue(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

/** A query's value, or a placeholder for it: one builder serves the prepared statement and the plain query. */
export type Param<T> = T | Placeholder;

/** Whether statements must run inside the caller's transaction. */
export function isTransaction(executor: Executor): executor is Transaction {
  return executor instanceof PgTransaction;
}

/**
 * A table's row from a hand-written statement's raw row (snake_case column names, driver values),
 * decoded as drizzle decodes a select of the table: for statements drizzle cannot build, such as a
 * SQL function that returns the table's row type.
 */
export function decodeRow<T extends Table>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T['$inferSelect'];
}
