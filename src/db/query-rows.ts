import type { SQL } from 'drizzle-orm';
import type { Executor } from './client.js';

/**
 * Runs a hand-written statement (a CTE drizzle's builders cannot express) and returns its rows.
 * Both drivers answer `execute` with `{ rows }`; bigint columns come back as numbers (client.ts).
 */
export async function queryRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
