import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { drizzle } from 'drizzle-orm/pglite';
import { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS_FOLDER } from '../../../src/db/migrate.js';

// The migration that introduced ledger_balance_buckets moves no balance: books written before it
// (and by instances of the previous release during a rolling upgrade) stay in the accounts' rows,
// which readers add to the buckets.
const BUCKETS_MIGRATION = '0011_ledger_balance_buckets';

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

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
  it('leaves every balance in its row, and rows keep taking postings of the previous release', async () => {
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
          ('00000000-0000-4000-8000-00000000000e', 'player_wallet', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'GEM', 500);
      `);
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      // What the previous release does on a sale, then what this one does.
      await pglite.exec(`
        update ledger_accounts set balance_minor = balance_minor + 1 where id = '00000000-0000-4000-8000-00000000000a';
        insert into ledger_balance_buckets (account_id, bucket, balance_minor) values ('00000000-0000-4000-8000-00000000000a', 5, 2);
      `);
      const { rows } = await pglite.query<{ kind: string; row_balance: number; balance: number }>(`
        select a.kind, a.balance_minor::int as row_balance,
               (a.balance_minor + coalesce((select sum(b.balance_minor) from ledger_balance_buckets b where b.account_id = a.id), 0))::int as balance
          from ledger_accounts a order by a.id`);
      expect(rows).toEqual([
        { kind: 'acquirer_receivable', row_balance: 1100, balance: 1102 },
        { kind: 'player_wallet', row_balance: 500, balance: 500 },
      ]);
      // Buckets are 0..31 only.
      await expect(
        pglite.exec(
          `insert into ledger_balance_buckets (account_id, bucket, balance_minor) values ('00000000-0000-4000-8000-00000000000a', 32, 1)`,
        ),
      ).rejects.toThrow(/ledger_balance_buckets_bucket_range/);
    } finally {
      await pglite.close();
    }
  });
});
