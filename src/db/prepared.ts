import type { Placeholder, Query, SQL } from 'drizzle-orm';
import { PgTransaction, type PgDialect, type PgPreparedQuery, type PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { Executor, Transaction } from './client.js';

/** What a prepared statement of either driver holds: the connection it runs on is `client`. */
interface DriverSession {
  readonly client: unknown;
  readonly dialect: PgDialect;
  prepareQuery(query: Query, fields: undefined, name: string | undefined, isResponseInArrayMode: boolean): PgPreparedQuery<PreparedQueryConfig>;
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

/** A query's value, or a placeholder for it: one builder serves the prepared statement and the plain query. */
export type Param<T> = T | Placeholder;

/** Whether statements must run inside the caller's transaction. */
export function isTransaction(executor: Executor): executor is Transaction {
  return executor instanceof PgTransaction;
}
