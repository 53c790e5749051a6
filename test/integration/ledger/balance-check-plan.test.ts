import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabase } from '../../helpers/isolated-database.js';

// The deferred check that every ledger transaction sums to zero runs once per entry. Its query must
// use the transaction_id index however the table grew since the connection first ran it: a plan
// cached while the table was empty (a sequential scan) made each posting read the whole table, so
// Postgres CPU per purchase grew over a long run (bench/RESULTS.md, session 3).
let url: string;
let client: pg.Client;
beforeAll(async () => {
  url = await isolatedDatabase('balance_plan');
  client = new pg.Client({ connectionString: url });
  await client.connect();
}, 60_000);
afterAll(() => client?.end());

async function seqScans(table: string): Promise<{ scans: number; rows: number }> {
  await client.query('select pg_stat_force_next_flush()').catch(() => undefined); // Postgres 15+: flush this session's counters
  const { rows } = await client.query('select seq_scan, seq_tup_read from pg_stat_user_tables where relname = $1', [
    table,
  ]);
  return { scans: Number(rows[0].seq_scan), rows: Number(rows[0].seq_tup_read) };
}

describe('the ledger balance check', () => {
  it('keeps using its index on a connection that first ran it while ledger_entries was empty', async () => {
    await client.query(`
      insert into developers (id, email, name, password_hash) values ('00000000-0000-4000-8000-000000000001', 'd@example.test', 'Studio', 'x');
      insert into games (id, developer_id, name, default_currency, platform_fee_bps)
        values ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', 'Game', 'USD', 3000);
      insert into ledger_accounts (id, kind, game_id, player_id, currency) values
        ('00000000-0000-4000-8000-00000000000a', 'acquirer_receivable', '00000000-0000-4000-8000-000000000003', null, 'USD'),
        ('00000000-0000-4000-8000-00000000000b', 'game_payable', '00000000-0000-4000-8000-000000000003', null, 'USD');
      analyze ledger_entries;`);
    const posting = (id: string) => `
      insert into ledger_transactions (id, kind, reference, game_id) values ('${id}', 'sale', '${id}', '00000000-0000-4000-8000-000000000003');
      insert into ledger_entries (id, transaction_id, account_id, currency, amount_minor, game_id) values
        (gen_random_uuid(), '${id}', '00000000-0000-4000-8000-00000000000a', 'USD', 5, '00000000-0000-4000-8000-000000000003'),
        (gen_random_uuid(), '${id}', '00000000-0000-4000-8000-00000000000b', 'USD', -5, '00000000-0000-4000-8000-000000000003');`;
    // Ten postings while the table is small: the connection settles on a plan for the check.
    for (let i = 0; i < 10; i++) await client.query(`begin; ${posting(crypto.randomUUID())} commit;`);
    // The table grows (not analyzed, as between autovacuum runs), written by another connection
    // without triggers (the rows balance; checking 40,000 of them is not what this test is about).
    const bulk = new pg.Client({ connectionString: url });
    await bulk.connect();
    await bulk.query(`set session_replication_role = replica;

      with t as (
        insert into ledger_transactions (id, kind, reference, game_id)
        select gen_random_uuid(), 'sale', gen_random_uuid()::text, '00000000-0000-4000-8000-000000000003' from generate_series(1, 20000)
        returning id)
      insert into ledger_entries (id, transaction_id, account_id, currency, amount_minor, game_id)
      select gen_random_uuid(), t.id, a.id, 'USD', case when a.kind = 'acquirer_receivable' then 5 else -5 end, '00000000-0000-4000-8000-000000000003'
      from t cross join (select id, kind from ledger_accounts) a`);
    await bulk.end();
    const before = await seqScans('ledger_entries');
    await client.query(`begin; ${posting(crypto.randomUUID())} commit;`);
    const after = await seqScans('ledger_entries');
    // Without the fix: two sequential scans of ~40,000 rows each.
    expect(after.rows - before.rows).toBeLessThan(1_000);
  });
});
