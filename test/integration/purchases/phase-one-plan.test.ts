import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import { runPhaseOneStatement } from '../../../src/modules/purchases/phase-one.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';
import { makeGame, makeItem, makePlayer } from '../ledger/fixtures.js';
import { phaseOneOrder } from './phase-one-fixtures.js';

// purchase_phase_one reads purchases three ways before it writes (the idempotency backstop, the
// limits, what the player spent today). Its plans are cached per connection (0023 dropped
// force_custom_plan, which planned ~10 statements again on every call: ~0.6 ms of Postgres a purchase,
// bench/RESULTS.md session 8). A plan cached while the table was small must still use the indexes once
// the table has grown, before any analyze, or every purchase reads the whole table (the failure
// balance-check-plan.test.ts guards against for the ledger).
let url: string;
let handle: DatabaseHandle;
beforeAll(async () => {
  url = await isolatedDatabase('phase1_plan');
  // one connection: every call below reuses the plans the first calls cached
  handle = await openDatabase({ url, dataDir: '.data/test', poolSize: 1 });
  await runMigrations(handle);
}, 60_000);
afterAll(() => handle?.close());

async function purchasesScanned(client: pg.Client): Promise<number> {
  await client.query('select pg_stat_force_next_flush()').catch(() => undefined); // Postgres 15+
  const { rows } = await client.query(`select seq_tup_read from pg_stat_user_tables where relname = 'purchases'`);
  return Number(rows[0].seq_tup_read);
}

describe('phase 1 with cached plans', () => {
  it('keeps using its indexes on a connection that first ran it while purchases was nearly empty', async () => {
    const db = handle.db;
    const { gameId } = await makeGame(db);
    const itemId = await makeItem(db, gameId);
    const buyer = { gameId, playerId: await makePlayer(db), cardId: crypto.randomUUID() };
    // Ten purchases while the table is small: the connection settles on its plans (custom, then generic).
    for (let i = 0; i < 10; i++) {
      expect((await runPhaseOneStatement(db, phaseOneOrder(buyer, itemId))).outcome).toBe('created');
    }
    // The table grows by 40,000 purchases of other players, not analyzed (as between autovacuum runs),
    // written by another connection without triggers or foreign-key checks.
    const bulk = new pg.Client({ connectionString: url });
    await bulk.connect();
    try {
      await bulk.query(`set session_replication_role = replica;
        insert into purchases
        select r.* from purchases p cross join generate_series(1, 4000) as g(n)
        cross join lateral jsonb_populate_record(null::purchases, to_jsonb(p) || jsonb_build_object(
          'id', gen_random_uuid(), 'idempotency_key', g.n || '-' || gen_random_uuid()::text,
          'player_id', gen_random_uuid(), 'recipient_id', gen_random_uuid())) as r`);
      const before = await purchasesScanned(bulk);
      for (let i = 0; i < 3; i++) {
        expect((await runPhaseOneStatement(db, phaseOneOrder(buyer, itemId))).outcome).toBe('created');
      }
      // the other connection's reads are counted when it flushes: a statement that ends its transaction
      await handle.pool!.query('select pg_stat_force_next_flush()').catch(() => undefined);
      const after = await purchasesScanned(bulk);
      // Read whole, three purchases would read ~120,000 rows.
      expect(after - before).toBeLessThan(1_000);
    } finally {
      await bulk.end();
    }
  });
});
