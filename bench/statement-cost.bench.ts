// What one SQL statement costs on this machine, on both sides of the socket: a one-row SELECT by
// primary key through drizzle as the modules write it (unnamed statement, parsed and planned each
// time), the same through drizzle's prepare() (a named statement: bind and execute only), and the
// raw pg driver; Node CPU from process.cpuUsage(), Postgres CPU from its backend's /proc entry.
// Run: `npx tsx bench/statement-cost.bench.ts [database-url]`, or call benchStatementCost().
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { games } from '../src/db/schema/index.js';

export interface StatementCost {
  readonly name: string;
  readonly wallMs: number;
  readonly nodeCpuMs: number;
  /** null when the backend's /proc entry cannot be read (Postgres on another machine). */
  readonly postgresCpuMs: number | null;
}

/** Sequential statements on one connection; per-statement figures. */
export async function benchStatementCost(url: string, count = 3000): Promise<StatementCost[]> {
  const handle = await openDatabase({ url, dataDir: '/tmp', poolSize: 1 });
  try {
    await runMigrations(handle);
    const pool = handle.pool!;
    const backend = (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const backendTicks = (): number | null => {
      try {
        const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[11]) + Number(fields[12]);
      } catch {
        return null;
      }
    };
    // Any id: a missing row costs the same round trip.
    const id = (
      await pool.query<{ id: string }>('select coalesce((select id from games limit 1), gen_random_uuid()) as id')
    ).rows[0]!.id;
    const prepared = handle.db
      .select()
      .from(games)
      .where(eq(games.id, sql.placeholder('id')))
      .limit(1)
      .prepare('bench_game_by_id');
    const cases: [string, () => Promise<unknown>][] = [
      [
        'drizzle select by id (as the modules run it)',
        () => handle.db.select().from(games).where(eq(games.id, id)).limit(1),
      ],
      ['drizzle prepared select by id', () => prepared.execute({ id })],
      ['pg pool.query with a parameter', () => pool.query('select * from games where id = $1 limit 1', [id])],
    ];
    const results: StatementCost[] = [];
    for (const [name, run] of cases) {
      for (let i = 0; i < 300; i++) await run();
      const ticks0 = backendTicks();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < count; i++) await run();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const ticks1 = backendTicks();
      results.push({
        name,
        wallMs: wall / count,
        nodeCpuMs: (cpu.user + cpu.system) / 1000 / count,
        postgresCpuMs: ticks0 === null || ticks1 === null ? null : ((ticks1 - ticks0) * 10) / count,
      });
    }
    return results;
  } finally {
    await handle.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const url = process.argv[2] ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/coinslot_bench';
  benchStatementCost(url)
    .then((rows) => {
      for (const r of rows) {
        console.log(
          `${r.name.padEnd(46)} wall ${r.wallMs.toFixed(3)} ms, Node CPU ${r.nodeCpuMs.toFixed(3)} ms, Postgres CPU ${r.postgresCpuMs?.toFixed(3) ?? 'n/a'} ms per statement`,
        );
      }
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
