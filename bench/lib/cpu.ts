// Where the CPU went during a run (Linux /proc): the server process(es), the load generator (this
// process), this database's Postgres backends and Postgres' own background processes, Redis, and the
// rest of the machine. Two cores busy at 100 % each read as 200 %.
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** The application_name of the standalone sandbox acquirer's Postgres connections (set in its DATABASE_URL). */
export const ACQUIRER_APPLICATION_NAME = 'coinslot-bench-acquirer';

function procTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

function children(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function pidsNamed(name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

type Group = 'server' | 'postgres' | 'redis' | 'acquirer';

interface Snapshot {
  readonly at: number;
  readonly machine: { busy: number; total: number };
  /** Ticks by process, per group (a process that ends during the run is left out of the deltas). */
  readonly ticks: Record<Group, Map<number, number>>;
  readonly bench: number;
  readonly pids: Record<Group, number[]>;
}

/** CPU shares (percent of one core) over a run. */
export interface CpuShares {
  readonly server: number;
  /** The sandbox acquirer's process and its Postgres backends (a remote acquirer's cost, not ours). */
  readonly acquirer: number;
  readonly loadGenerator: number;
  readonly postgres: number;
  readonly redis: number;
  readonly other: number;
  readonly machine: number;
  readonly cores: number;
}

export class CpuMeter {
  private start: Snapshot | null = null;
  constructor(
    private readonly serverPid: () => number | null,
    private readonly pool: pg.Pool,
    private readonly cores: number,
    private readonly acquirerPid: () => number | null = () => null,
  ) {}

  private async pids() {
    const root = this.serverPid();
    const server = root ? [root, ...children(root)] : [];
    // This database's backends, and Postgres' own processes (WAL writer, checkpointer, autovacuum…);
    // the acquirer's backends (application_name ACQUIRER_APPLICATION_NAME) count as the acquirer's.
    const { rows } = await this.pool.query<{ pid: number; acquirer: boolean }>(
      `select pid, application_name = $1 as acquirer from pg_stat_activity where datname = current_database() or backend_type <> 'client backend'`,
      [ACQUIRER_APPLICATION_NAME],
    );
    const acquirerRoot = this.acquirerPid();
    return {
      server,
      postgres: rows.filter((r) => !r.acquirer).map((r) => r.pid),
      redis: pidsNamed('redis-server'),
      acquirer: [...(acquirerRoot ? [acquirerRoot] : []), ...rows.filter((r) => r.acquirer).map((r) => r.pid)],
    };
  }

  private snap(pids: Snapshot['pids']): Snapshot {
    const read = (list: number[]) => new Map(list.map((p) => [p, procTicks(p)] as const).filter(([, t]) => t > 0));
    return {
      at: performance.now(),
      machine: machineTicks(),
      ticks: {
        server: read(pids.server),
        postgres: read(pids.postgres),
        redis: read(pids.redis),
        acquirer: read(pids.acquirer),
      },
      bench: procTicks(process.pid),
      pids,
    };
  }

  async begin(): Promise<void> {
    this.start = this.snap(await this.pids());
  }

  /** Shares since begin(); a process that appeared meanwhile (a new pool connection's backend) counts from zero. */
  async end(): Promise<CpuShares> {
    const start = this.start;
    if (!start) throw new Error('CpuMeter.end() before begin()');
    const latest = await this.pids();
    const merged = {
      server: [...new Set([...start.pids.server, ...latest.server])],
      postgres: [...new Set([...start.pids.postgres, ...latest.postgres])],
      redis: [...new Set([...start.pids.redis, ...latest.redis])],
      acquirer: [...new Set([...start.pids.acquirer, ...latest.acquirer])],
    };
    const now = this.snap(merged);
    const wallMs = now.at - start.at;
    const share = (ticks: number) => (100 * ticks * TICK_MS) / wallMs;
    const machineBusy = now.machine.busy - start.machine.busy;
    const machineTotal = now.machine.total - start.machine.total;
    const machine = (100 * this.cores * machineBusy) / Math.max(1, machineTotal);
    const delta = (group: Group) => {
      let ticks = 0;
      for (const [pid, after] of now.ticks[group]) {
        const before = start.ticks[group].get(pid) ?? (start.pids[group].includes(pid) ? after : 0);
        if (after >= before) ticks += after - before;
      }
      return share(ticks);
    };
    const server = delta('server');
    const loadGenerator = share(now.bench - start.bench);
    const postgres = delta('postgres');
    const redis = delta('redis');
    const acquirer = delta('acquirer');
    return {
      server,
      acquirer,
      loadGenerator,
      postgres,
      redis,
      other: Math.max(0, machine - server - loadGenerator - postgres - redis - acquirer),
      machine,
      cores: this.cores,
    };
  }
}
