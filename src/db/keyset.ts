import { asc, desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * A position in a list ordered by (createdAt, id): stable even when rows share a timestamp.
 * The cursor carries a JS Date (milliseconds), so the column must be written with millisecond
 * precision (e.g. `createdAt: ctx.deps.clock.now()` on insert): a `defaultNow()` value has
 * microseconds, and a page boundary inside one millisecond would repeat or skip rows.
 */
export interface KeysetKey {
  readonly createdAt: Date;
  readonly id: string;
}

/** One page of a keyset-paginated list, as Relay's first/after and last/before ask for it. */
export interface KeysetPage {
  readonly after?: KeysetKey | undefined;
  readonly before?: KeysetKey | undefined;
  readonly limit: number;
  /** True for last/before: read backwards from the end (the caller reverses the rows). */
  readonly inverted: boolean;
}

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
