import { eq, sql } from 'drizzle-orm';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle, type Executor } from '../../../src/db/client.js';
import { preparedSql, preparedStatement } from '../../../src/db/prepared.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';

// Statements are built once per driver and run on whichever connection the executor holds: the
// pool, or a transaction's own connection. Run one on the wrong connection and a purchase's checks
// would read outside its transaction (missing its own writes, its locks held elsewhere).
const probes = pgTable('prepared_probes', { id: integer('id').primaryKey(), label: text('label').notNull() });

const labelById = preparedStatement((executor) =>
  executor
    .select({ label: probes.label })
    .from(probes)
    .where(eq(probes.id, sql.placeholder('id')))
    .prepare('test_probe_label_by_id'),
);
const countRows = preparedSql(
  'test_probe_count',
  sql`select count(*)::int as n from prepared_probes where id >= ${sql.placeholder('from')}`,
);

async function labelOf(executor: Executor, id: number): Promise<string | null> {
  const [row] = await labelById(executor).execute({ id });
  return row?.label ?? null;
}

for (const driver of ['postgres', 'pglite'] as const) {
  describe(`prepared statements on ${driver}`, () => {
    let handle: DatabaseHandle;
    beforeAll(async () => {
      const url = driver === 'postgres' ? await isolatedDatabase('prepared') : undefined;
      handle = await openDatabase({ url, dataDir: '/tmp', inMemory: true, poolSize: 4 });
      await handle.db.execute(
        sql`create table if not exists prepared_probes (id integer primary key, label text not null)`,
      );
      await handle.db.execute(sql`truncate prepared_probes`);
    }, 60_000);
    afterAll(() => handle?.close());

    it('runs inside a transaction on its connection (sees its uncommitted rows), and on the pool outside it', async () => {
      const { db } = handle;
      await db.transaction(async (tx) => {
        await tx.insert(probes).values({ id: 1, label: 'inside' });
        expect(await labelOf(tx, 1)).toBe('inside');
        expect((await countRows.execute<{ n: number }>(tx, { from: 1 }))[0]?.n).toBe(1);
        if (driver === 'postgres') {
          // another connection does not see the uncommitted row
          expect(await labelOf(db, 1)).toBeNull();
          expect((await countRows.execute<{ n: number }>(db, { from: 1 }))[0]?.n).toBe(0);
        }
      });
      expect(await labelOf(db, 1)).toBe('inside');
    });

    it('leaves nothing behind when the transaction rolls back, and works again afterwards on the same connections', async () => {
      const { db } = handle;
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(probes).values({ id: 2, label: 'rolled back' });
          expect(await labelOf(tx, 2)).toBe('rolled back');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await labelOf(db, 2)).toBeNull();
      for (let i = 0; i < 10; i++) {
        await db.transaction(async (tx) => {
          await tx.insert(probes).values({ id: 100 + i, label: `row ${i}` });
          expect(await labelOf(tx, 100 + i)).toBe(`row ${i}`);
        });
      }
      expect((await countRows.execute<{ n: number }>(db, { from: 100 }))[0]?.n).toBe(10);
    });

    if (driver === 'postgres') {
      it('is a named statement, parsed once per connection', async () => {
        await handle.db.transaction(async (tx) => {
          await labelOf(tx, 1);
          await labelOf(tx, 1);
          const prepared = await tx.execute(
            sql`select name from pg_prepared_statements where name = 'test_probe_label_by_id'`,
          );
          expect((prepared as unknown as { rows: unknown[] }).rows).toHaveLength(1);
        });
      });
    }
  });
}
