import type { Placeholder } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Database, Executor, Transaction } from './client.js';

/**
 * A statement built once per database and prepared under a name: drizzle builds its SQL once
 * instead of on every call, and Postgres parses and plans it once per pooled connection. On the
 * purchase path that is 3–4× less CPU per statement on both sides (bench/RESULTS.md).
 * A prepared statement runs on the pool: use it for reads outside a transaction only.
 */
export function preparedStatement<T>(build: (db: Database) => T): (db: Database) => T {
  const perDatabase = new WeakMap<Database, T>();
  return (db) => {
    let statement = perDatabase.get(db);
    if (statement === undefined) {
      statement = build(db);
      perDatabase.set(db, statement);
    }
    return statement;
  };
}

/** A query's value, or a placeholder for it: one builder serves the prepared statement and the plain query. */
export type Param<T> = T | Placeholder;

/** Whether statements must run inside the caller's transaction (so not as a pooled prepared statement). */
export function isTransaction(executor: Executor): executor is Transaction {
  return executor instanceof PgTransaction;
}
