// A private Redis Cluster on loopback for tests: three masters (optionally one replica each), made with
// `redis-server --cluster-enabled yes` and `redis-cli --cluster create`, the tools CI already has.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './processes.js';

const run = promisify(execFile);

/** One redis-server of the cluster. */
export interface ClusterNode {
  readonly port: number;
  readonly child: ChildProcess;
}

/** redis-cli against one node; resolves with its stdout (throws when it fails). */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000 });
  return stdout;
}

export class LocalRedisCluster {
  private readonly dir = mkdtempSync(join(tmpdir(), 'coinslot-cluster-'));
  readonly nodes: ClusterNode[] = [];

  private constructor() {}

  /** Starts `masters` masters (and `replicasPerMaster` replicas each) and joins them into one cluster. */
  static async start(masters = 3, replicasPerMaster = 0): Promise<LocalRedisCluster> {
    const cluster = new LocalRedisCluster();
    try {
      const count = masters * (1 + replicasPerMaster);
      for (let i = 0; i < count; i++) await cluster.spawnNode();
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...cluster.nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          String(replicasPerMaster),
          '--cluster-yes',
        ],
        { timeout: 60_000 },
      );
      await cluster.waitHealthy();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Comma-separated seed URLs, as REDIS_CLUSTER_URLS takes them. */
  get urls(): string[] {
    return this.nodes.map((n) => `redis://127.0.0.1:${n.port}`);
  }

  private async spawnNode(): Promise<void> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(this.dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '1000',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.nodes.push({ port, child });
    await waitFor(async () => (await redisCli(port, 'PING')).trim() === 'PONG', 10_000, `redis-server on ${port}`);
  }

  /** Waits until every node reports cluster_state:ok and all 16384 slots are served. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        for (const node of this.nodes) {
          if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
          const info = await redisCli(node.port, 'CLUSTER', 'INFO');
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
        }
        return true;
      },
      timeoutMs,
      'the Redis Cluster to be healthy',
      100,
    );
  }

  /** The port of the master serving `slot`. */
  async masterOfSlot(slot: number): Promise<number> {
    const rows = JSON.parse(JSON.stringify(await this.slots())) as { start: number; end: number; port: number }[];
    const row = rows.find((r) => r.start <= slot && slot <= r.end);
    if (!row) throw new Error(`no master serves slot ${slot}`);
    return row.port;
  }

  /** A node that is running (not one a test killed). */
  private alive(): ClusterNode {
    const alive = this.nodes.find((n) => n.child.exitCode === null && n.child.signalCode === null);
    if (!alive) throw new Error('no node is running');
    return alive;
  }

  /** Slot ranges and the port of their master (CLUSTER SHARDS is Redis 7; CLUSTER SLOTS works on 6 too). */
  async slots(): Promise<{ start: number; end: number; port: number }[]> {
    const raw = await redisCli(this.alive().port, '--json', 'CLUSTER', 'SLOTS');
    const rows = JSON.parse(raw) as [number, number, [string, number, string]][];
    return rows.map(([start, end, master]) => ({ start, end, port: master[1] }));
  }

  /** The hash slot of a key, as the cluster computes it. */
  async keySlot(key: string): Promise<number> {
    return Number((await redisCli(this.alive().port, 'CLUSTER', 'KEYSLOT', key)).trim());
  }

  /**
   * Moves one slot, with its keys, from its master to another master (the resharding steps:
   * IMPORTING/MIGRATING, MIGRATE in batches, then SETSLOT NODE everywhere). Clients follow MOVED/ASK.
   */
  async moveSlot(slot: number): Promise<{ from: number; to: number }> {
    const from = await this.masterOfSlot(slot);
    const masters = [...new Set((await this.slots()).map((r) => r.port))];
    const to = masters.find((p) => p !== from);
    if (to === undefined) throw new Error('no other master to move the slot to');
    const id = async (port: number) => (await redisCli(port, 'CLUSTER', 'MYID')).trim();
    const [fromId, toId] = [await id(from), await id(to)];
    await redisCli(to, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId);
    await redisCli(from, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId);
    for (;;) {
      const keys = (await redisCli(from, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '100')).split('\n').filter(Boolean);
      if (keys.length === 0) break;
      await redisCli(from, 'MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', ...keys);
    }
    for (const port of masters) await redisCli(port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', toId);
    return { from, to };
  }

  /** Kills every node and removes the cluster's files. */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
