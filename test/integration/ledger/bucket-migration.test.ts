import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { drizzle } from 'drizzle-orm/pglite';
import { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS_FOLDER } from '../../../src/db/migrate.js';

// The migration that moved shared accounts' balances into ledger_balance_buckets must carry every
// existing balance over to the minor unit: books written before it still balance after it.
const BUCKETS_MIGRATION = '0011_ledger_balance_buckets';

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

/** A copy of the migrations folder whose journal stops before `tag`. */
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'coinslot-migrations-'));
  folders.push(folder);
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

describe(`migration ${BUCKETS_MIGRATION}`, () => {
  it("moves each shared account's balance into bucket 0 and leaves wallets in their rows", async () => {
    const pglite = await PGlite.create('memory://');
    try {
      const db = drizzle({ client: pglite });
      await migrate(db, { migrationsFolder: migrationsBefore(BUCKETS_MIGRATION) });
      await pglite.exec(`
        insert into developers (id, email, name, password_hash) values ('00000000-0000-4000-8000-000000000001', 'd@example.test', 'Studio', 'x');
        insert into players (id, email, display_name, password_hash) values ('00000000-0000-4000-8000-000000000002', 'p@example.test', 'P', 'x');
        insert into games (id, developer_id, name, default_currency, platform_fee_bps)
          values ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', 'Game', 'USD', 3000);
        insert into ledger_accounts (id, kind, game_id, player_id, currency, balance_minor) values
          ('00000000-0000-4000-8000-00000000000a', 'acquirer_receivable', '00000000-0000-4000-8000-000000000003', null, 'USD', 1099),
          ('00000000-0000-4000-8000-00000000000b', 'game_payable', '00000000-0000-4000-8000-000000000003', null, 'USD', -770),
          ('00000000-0000-4000-8000-00000000000c', 'platform_revenue', '00000000-0000-4000-8000-000000000003', null, 'USD', -329),
          ('00000000-0000-4000-8000-00000000000d', 'currency_issued', '00000000-0000-4000-8000-000000000003', null, 'GEM', 0),
          ('00000000-0000-4000-8000-00000000000e', 'player_wallet', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'GEM', 500);
      `);
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      const { rows } = await pglite.query<{ kind: string; row_balance: number; buckets: string }>(`
        select a.kind, a.balance_minor::int as row_balance,
               coalesce(string_agg(b.bucket || ':' || b.balance_minor, ',' order by b.bucket), '') as buckets
          from ledger_accounts a left join ledger_balance_buckets b on b.account_id = a.id
         group by a.id, a.kind, a.balance_minor order by a.id`);
      expect(rows).toEqual([
        { kind: 'acquirer_receivable', row_balance: 0, buckets: '0:1099' },
        { kind: 'game_payable', row_balance: 0, buckets: '0:-770' },
        { kind: 'platform_revenue', row_balance: 0, buckets: '0:-329' },
        { kind: 'currency_issued', row_balance: 0, buckets: '' },
        { kind: 'player_wallet', row_balance: 500, buckets: '' },
      ]);
    } finally {
      await pglite.close();
    }
  });
});
