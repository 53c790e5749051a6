// The machine's raw Postgres transaction rate, the reference for every figure: pgbench when installed
// (TPC-B-like and single-row insert transactions), otherwise a node-pg loop of single-row insert transactions.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface PgFigure {
  readonly name: string;
  readonly clients: number;
  readonly tps: number;
  readonly latencyMs: number;
}

export interface PgReference {
  readonly tool: string;
  readonly figures: PgFigure[];
}

async function hasPgbench(): Promise<boolean> {
  try {
    await run('pgbench', ['--version']);
    return true;
  } catch {
    return false;
  }
}

function connectionArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const args = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres')];
  const env = { ...process.env, ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}) };
  return { args, env };
}

/** Runs the reference on `url`'s database; its tables (pgbench_*, bench_insert) are dropped afterwards. */
export async function pgReference(
  url: string,
  options: { seconds: number; clients: readonly number[] },
): Promise<PgReference> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  if (await hasPgbench()) {
    const { args, env } = connectionArgs(url);
    const figures: PgFigure[] = [];
    await run('pgbench', [...args, '-i', '-q', '-s', '10', database], { env, maxBuffer: 16 << 20 });
    const dir = mkdtempSync(join(tmpdir(), 'coinslot-pgbench-'));
    const script = join(dir, 'insert.sql');
    writeFileSync(
      script,
      "insert into bench_insert (player_id, amount_minor, note) values (:client_id, 99, 'one row, one commit');\n",
    );
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await pool.query(
      'create table if not exists bench_insert (id bigserial primary key, player_id int not null, amount_minor bigint not null, note text, created_at timestamptz not null default now())',
    );
    try {
      for (const clients of options.clients) {
        for (const [name, extra] of [
          ['TPC-B-like (5 statements, 1 commit)', ['-b', 'tpcb-like']],
          ['single-row insert (1 statement, 1 commit)', ['-f', script]],
        ] as const) {
          const { stdout } = await run(
            'pgbench',
            [...args, '-n', '-c', String(clients), '-j', '2', '-T', String(options.seconds), ...extra, database],
            { env, maxBuffer: 16 << 20 },
          );
          const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
          const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
          figures.push({ name, clients, tps, latencyMs });
        }
      }
    } finally {
      await pool.query(
        'drop table if exists bench_insert, pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers',
      );
      await pool.end();
    }
    return { tool: (await run('pgbench', ['--version'])).stdout.trim(), figures };
  }

  // No pgbench: `clients` node-pg connections each looping single-row insert transactions.
  const figures: PgFigure[] = [];
  const pool = new pg.Pool({ connectionString: url, max: Math.max(...options.clients) });
  await pool.query(
    'create table if not exists bench_insert (id bigserial primary key, player_id int not null, amount_minor bigint not null, note text, created_at timestamptz not null default now())',
  );
  try {
    for (const clients of options.clients) {
      const until = Date.now() + options.seconds * 1000;
      let done = 0;
      let busyMs = 0;
      await Promise.all(
        Array.from({ length: clients }, async (_, id) => {
          const client = await pool.connect();
          try {
            while (Date.now() < until) {
              const t = performance.now();
              await client.query('begin');
              await client.query(
                "insert into bench_insert (player_id, amount_minor, note) values ($1, 99, 'one row, one commit')",
                [id],
              );
              await client.query('commit');
              busyMs += performance.now() - t;
              done++;
            }
          } finally {
            client.release();
          }
        }),
      );
      figures.push({
        name: 'single-row insert transaction (node-pg)',
        clients,
        tps: done / options.seconds,
        latencyMs: busyMs / done,
      });
    }
  } finally {
    await pool.query('drop table if exists bench_insert');
    await pool.end();
  }
  return { tool: 'node-pg loop', figures };
}
