// The driver under drizzle, for the acquirer's charge path: every statement there costs a round trip and
// (through drizzle's builder) ~0.5 ms of CPU, so it runs a few fixed statements of its own instead.
import pg from 'pg';
import { PGlite, type Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type { Database } from '../db/client.js';

export type Rows = Array<Record<string, unknown>>;

/**
 * One transaction as simple-protocol scripts: several statements in one round trip, values as literals
 * (`literal()`), no parameters; EXECUTE of a PreparedStatement keeps its plan. begin() comes first, commit() ends it.
 */
export interface ScriptTransaction {
  /** Opens the transaction and runs the script, in one round trip; its statements' rows. */
  begin(script: string): Promise<Rows[]>;
  /** Runs the script and commits, in one round trip; its statements' rows. */
  commit(script: string): Promise<Rows[]>;
}

/** A statement for SQL PREPARE: `name` as in EXECUTE, `text` with its parameter types, `(text, bigint) as select …`. */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** Which prepared statements each connection (a pg client, or the PGlite instance) has: PREPARE is per session. */
const preparedOn = new WeakMap<object, Set<string>>();

async function ensurePrepared(
  connection: object,
  statements: readonly PreparedStatement[],
  run: (sql: string) => Promise<unknown>,
): Promise<void> {
  let made = preparedOn.get(connection);
  if (!made) preparedOn.set(connection, (made = new Set()));
  for (const statement of statements) {
    if (made.has(statement.name)) continue;
    try {
      await run(`prepare ${statement.name} ${statement.text}`);
    } catch (error) {
      // Already there (PREPARE is not undone by a rollback): the same text, from this module.
      if ((error as { code?: unknown }).code !== '42P05') throw error;
    }
    made.add(statement.name);
  }
}

export interface RawSql {
  /** One parameterized statement outside any transaction; on Postgres a named statement, parsed once per pooled connection. */
  query(name: string, text: string, values: readonly unknown[]): Promise<Rows>;
  /**
   * Runs fn in a transaction: committed by fn's commit() (or when it returns), rolled back when it throws.
   * `prepared` statements (SQL PREPARE) are made on the connection first, once per connection, for EXECUTE in scripts.
   */
  transaction<T>(fn: (tx: ScriptTransaction) => Promise<T>, prepared?: readonly PreparedStatement[]): Promise<T>;
}

/** A string as an SQL literal (quotes and backslashes escaped, as node-postgres does). */
export function literal(value: string): string {
  return pg.escapeLiteral(value);
}

/** The raw driver of a drizzle database (node-postgres pool or PGlite), or null for any other. */
export function rawSqlOf(db: Database): RawSql | null {
  const client = (db as unknown as { $client?: unknown }).$client;
  if (client instanceof pg.Pool) return poolSql(client);
  if (client instanceof PGlite) return pgliteSql(client);
  return null;
}

function rowsOf(result: pg.QueryResult | pg.QueryResult[]): Rows[] {
  return (Array.isArray(result) ? result : [result]).map((r) => r.rows as Rows);
}

function poolSql(pool: pg.Pool): RawSql {
  return {
    async query(name, text, values) {
      return (await pool.query({ name, text, values: values as unknown[] })).rows as Rows;
    },
    async transaction(fn, prepared = []) {
      const client = await pool.connect();
      // A multi-statement simple query answers with one result per statement.
      const run = async (script: string): Promise<Rows[]> =>
        rowsOf((await client.query(script)) as pg.QueryResult | pg.QueryResult[]);
      // An object, not a let: TypeScript would not see the callbacks change it.
      const at = { state: 'idle' as 'idle' | 'open' | 'done' };
      let broken: Error | undefined;
      try {
        await ensurePrepared(client, prepared, (sql) => client.query(sql)).catch((error: unknown) => {
          broken = error instanceof Error ? error : new Error(String(error));
          throw error;
        });
        const result = await fn({
          async begin(script) {
            at.state = 'open';
            return (await run(`begin; ${script}`)).slice(1);
          },
          async commit(script) {
            const rows = await run(`${script}; commit`);
            at.state = 'done';
            return rows.slice(0, -1);
          },
        });
        if (at.state === 'open') {
          await client.query('commit');
          at.state = 'done';
        }
        return result;
      } catch (error) {
        // Also after a failed commit script: the transaction is then aborted, or already over (a warning only).
        if (at.state === 'open') {
          await client.query('rollback').catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
        }
        throw error;
      } finally {
        // A connection that could not roll back is dropped, not pooled.
        client.release(broken);
      }
    },
  };
}

function pgliteSql(db: PGlite): RawSql {
  const run = async (tx: PGliteTransaction, script: string): Promise<Rows[]> =>
    (await tx.exec(script)).map((r) => r.rows as Rows);
  return {
    async query(_name, text, values) {
      return (await db.query<Record<string, unknown>>(text, values as unknown[])).rows;
    },
    // PGlite is one connection: its transaction() keeps other queries out until this one ends, and opens and ends it.
    async transaction(fn, prepared = []) {
      await ensurePrepared(db, prepared, (sql) => db.exec(sql));
      return db.transaction((tx) =>
        fn({
          begin: (script) => run(tx, script),
          commit: (script) => run(tx, script),
        }),
      );
    },
  };
}
