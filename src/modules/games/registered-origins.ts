import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/query-rows.js';
import type { Deps } from '../service-context.js';

/**
 * Every origin some game registered (`allowedOrigins`), for CORS: one small query over the games
 * table, meant to be cached by the caller (the HTTP layer keeps a snapshot and refreshes it).
 */
export async function listRegisteredOrigins(deps: Pick<Deps, 'db'>): Promise<Set<string>> {
  const rows = await queryRows<{ origin: string }>(
    deps.db,
    sql`select distinct unnest(allowed_origins) as origin from games where cardinality(allowed_origins) > 0`,
  );
  return new Set(rows.map((r) => r.origin));
}
