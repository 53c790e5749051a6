import { asc, desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { KeysetKey, KeysetPage } from '../shared/page.js';

export type { KeysetKey, KeysetPage };

/** Conditions that keep rows strictly between the page's cursors. */
export function keysetConditions(createdAt: PgColumn, id: PgColumn, page: KeysetPage): SQL[] {
  const conditions: SQL[] = [];
  if (page.after)
    conditions.push(
      sql`(${createdAt}, ${id}) > (${page.after.createdAt.toISOString()}::timestamptz, ${page.after.id}::uuid)`,
    );
  if (page.before)
    conditions.push(
      sql`(${createdAt}, ${id}) < (${page.before.createdAt.toISOString()}::timestamptz, ${page.before.id}::uuid)`,
    );
  return conditions;
}

/** The order of a page: oldest first, or newest first when inverted. */
export function keysetOrder(createdAt: PgColumn, id: PgColumn, page: Pick<KeysetPage, 'inverted'>): SQL[] {
  return page.inverted ? [desc(createdAt), desc(id)] : [asc(createdAt), asc(id)];
}
