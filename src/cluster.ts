// `npm run start:cluster`: N API processes (node:cluster, CLUSTER_WORKERS, default the CPU count) on one
// port, sharing Postgres and Redis, with one sandbox acquirer for all of them in the primary (unless
// ACQUIRER_URL names one). The primary migrates once, starts the workers one after another (so a
// first-run demo seed happens once), and replaces a worker that dies.
import cluster, { type Address, type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';

/** Messages a worker sends to the primary. */
type WorkerMessage = { type: 'started'; banner: string[] };

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** CLUSTER_WORKERS as a positive integer, default the CPU count. */
function workerCount(): number {
  const raw = process.env.CLUSTER_WORKERS;
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    console.error(`Invalid configuration:\n  CLUSTER_WORKERS: a whole number from 1 to 256 (got "${raw}")`);
    process.exit(1);
  }
  return n;
}

async function runPrimary(): Promise<void> {
  const config = readConfig();
  if (!config.DATABASE_URL) {
    console.error(
      'start:cluster needs DATABASE_URL (Postgres). The embedded PGlite database lives inside one process and cannot be ' +
        'shared by several; run `npm start` for a single process, or set DATABASE_URL=postgres://… to run a cluster.',
    );
    process.exit(1);
  }
  if (!config.redisUrlWasSet) {
    console.error(
      'start:cluster needs REDIS_URL. Idempotency keys, fraud counters, rate limits and live updates must be shared by ' +
        'every process; the in-process fallback store cannot be. Set REDIS_URL=redis://…',
    );
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const count = workerCount();
  for (const name of config.generatedSecrets) {
    logger.warn(
      `${name} was not configured: generated one into ${config.dataDir}/secrets (shared by the workers; set it in production)`,
    );
  }

  // Migrate once, before any worker (and the acquirer, whose tables are in the same migrations) starts.
  const { startClusterPrimary } = await import('./composition/index.js');
  const shared = await startClusterPrimary(config, logger);
  const acquirerUrl = shared.acquirerUrl;

  const env = { ACQUIRER_URL: acquirerUrl };
  let stopping = false;
  let banner: string[] = [];
  const startedAt = new Map<number, number>();
  let quickDeaths = 0;

  const fork = (): Worker => {
    const worker = cluster.fork(env);
    startedAt.set(worker.id, Date.now());
    worker.on('message', (message: WorkerMessage) => {
      if (message?.type === 'started' && banner.length === 0) banner = message.banner;
    });
    return worker;
  };

  // One after another at first: each is listening and started before the next starts.
  const listening = (worker: Worker) =>
    new Promise<Address>((resolve, reject) => {
      let address: Address | null = null;
      let started = false;
      const settle = () => {
        if (address && started) resolve(address);
      };
      worker.once('listening', (at) => {
        address = at;
        settle();
      });
      worker.on('message', (message: WorkerMessage) => {
        if (message?.type !== 'started') return;
        started = true;
        settle();
      });
      worker.once('exit', (code, signal) =>
        reject(new Error(`worker ${worker.process.pid} exited (${signal ?? code}) while starting`)),
      );
    });
  let address: Address | null = null;
  try {
    for (let i = 0; i < count; i++) {
      // With PORT=0 the workers share the primary's one random port (node:cluster keys handles by the port asked for).
      address = await listening(fork());
    }
  } catch (error) {
    console.error((error as Error).message);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    await shared.close();
    process.exit(1);
  }

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    quickDeaths = lived < 10_000 ? quickDeaths + 1 : 0;
    // A worker that keeps dying at start must not spin: wait longer each time (up to 30 s).
    const delay = quickDeaths === 0 ? 0 : Math.min(30_000, 500 * 2 ** Math.min(quickDeaths, 6));
    logger.warn({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'API worker died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  const host = address!.address.includes(':') ? `[${address!.address}]` : address!.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address!.port}`;
  {
    console.log(
      [
        '',
        `  Coinslot cluster is running: ${count} API process${count === 1 ? '' : 'es'} (node:cluster) on Postgres and Redis`,
        '',
        `  Demo game   ${url}/`,
        `  GraphiQL    ${url}/graphql`,
        `  Health      ${url}/healthz  ·  ${url}/readyz  ·  ${url}/metrics (of whichever process answers)`,
        ...banner.map((line) =>
          line.startsWith('sandbox acquirer:')
            ? `sandbox acquirer: ${acquirerUrl}${shared.sharedSandbox ? ' (in the primary, shared)' : ''}`
            : line,
        ),
        '',
      ].join('\n'),
    );
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping the cluster');
      const force = setTimeout(() => process.exit(1), 15_000);
      force.unref();
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              worker.once('exit', () => resolve());
              worker.process.kill('SIGTERM');
            }),
        ),
      )
        .then(async () => {
          await shared.close();
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'error while stopping the cluster');
          process.exit(1);
        });
    });
  }
}

async function runWorker(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.LOG_LEVEL).child({ worker: cluster.worker?.id });
  const { startServer } = await import('./composition/index.js');
  const server = await startServer(config, { logger });
  process.send?.({ type: 'started', banner: server.banner } satisfies WorkerMessage);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while shutting down');
          process.exit(1);
        },
      );
    });
  }
}

if (cluster.isPrimary) await runPrimary();
else await runWorker();
