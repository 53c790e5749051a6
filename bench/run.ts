// `npm run bench`: starts a real Coinslot (src/main.ts, then src/cluster.ts) as a child process on Postgres
// and Redis and drives it from this process with autocannon; prints every figure and its ratio to the
// baseline of the same run. Environment:
//   BENCH_DATABASE_URL  Postgres database, recreated at start (name must contain "bench"); default
//                       postgres://postgres@127.0.0.1:5432/coinslot_bench
//   BENCH_REDIS_URL     Redis (default REDIS_URL or redis://127.0.0.1:6379); a unique key prefix, removed at the end
//   BENCH_DURATION      seconds per measured load (default 10)
//   BENCH_SOAK          seconds of the memory soak (default 20; 300 for the 5-minute soak)
//   BENCH_PLAYERS       players created up front for the one-tap runs (default 3000)
//   BENCH_CLUSTER       "false" skips the 1- and 2-process cluster runs
//   BENCH_JSON          a file to write every figure to as JSON
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { publicId } from '../src/shared/public-ids.js';
import { createClient } from 'redis';
import { benchFraud, type FraudBenchResult } from './fraud.bench.js';
import { benchIdempotency, type IdempotencyBenchResult } from './idempotency.bench.js';
import { benchStatementCost, type StatementCost } from './statement-cost.bench.js';
import { ACQUIRER_APPLICATION_NAME, CpuMeter, type CpuShares } from './lib/cpu.js';
import { CATALOG, CREATE_PURCHASE, GAME_ITEMS, gql, PURCHASES, TYPENAME } from './lib/graphql.js';
import { noErrors, runLoad, succeededPurchase, type LoadResult, type NextRequest } from './lib/load.js';
import { pgReference, type PgReference } from './lib/pg-reference.js';
import { startServerProcess, type ServerProcess } from './lib/server.js';
import {
  createDeveloper,
  createGame,
  historyCursor,
  insertHistory,
  insertItems,
  insertPlayers,
  relaxRiskSettings,
  templateCardToken,
  type BenchGame,
  type BenchPlayer,
} from './lib/setup.js';
import { fmt, pct, sleep, table } from './lib/stats.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const SOAK = Number(process.env.BENCH_SOAK ?? 20);
const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 3000);
const WITH_CLUSTER = process.env.BENCH_CLUSTER !== 'false';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/coinslot_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_KEY_PREFIX = `bench${randomBytes(4).toString('hex')}:`;
const CORES = availableParallelism();
/** What one catalog(gameId) call answers at most (and by default): the server's CATALOG_PAGE_MAX. */
const CATALOG_PAGE = 500;
/** A pause after a purchase load: requests autocannon stopped waiting for still finish on the server. */
const DRAIN_MS = 3000;

// Fixed secrets, so that this process hashes game tokens exactly as the server does.
const SECRETS = {
  TOKEN_PEPPER: `bench-pepper-${randomBytes(16).toString('hex')}`,
  CARD_FINGERPRINT_KEY: `bench-fingerprint-${randomBytes(16).toString('hex')}`,
  OPERATOR_TOKEN: `op_bench-${randomBytes(24).toString('hex')}`,
  ACQUIRER_SECRET: `bench-acquirer-${randomBytes(16).toString('hex')}`,
  WEBHOOK_SECRET_KEY: `bench-webhook-${randomBytes(16).toString('hex')}`,
  IDEMPOTENCY_ENCRYPTION_KEY: `bench-idempotency-${randomBytes(16).toString('hex')}`,
  // Production keeps /metrics closed; the soak and the heap figures read it with this token.
  METRICS_TOKEN: `bench-metrics-${randomBytes(16).toString('hex')}`,
};

function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL,
    REDIS_URL,
    REDIS_KEY_PREFIX,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    GRAPHIQL: 'false',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ...SECRETS,
    RECEIPT_SIGNING_KEYS: receiptKeys,
    ...(acquirer ? { ACQUIRER_URL: acquirer.url } : {}),
    // The API rate limit still runs (one Redis call per request); its ceiling is out of the way.
    API_RATE_LIMIT_PER_CREDENTIAL: '1000000000',
    API_RATE_LIMIT_PER_IP: '1000000000',
    ...extra,
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'coinslot-bench-'));
let receiptKeys = '';

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function versionOf(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0] as string;
  } catch {
    return 'unknown';
  }
}

/** Drops and recreates the bench database (only one whose name says it is a bench database). */
async function resetDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/bench/i.test(name) || !/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(
      `BENCH_DATABASE_URL must name a database whose name contains "bench" (it is dropped and recreated), got "${name}"`,
    );
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
}

/** Deletes every Redis key of this run. */
async function cleanRedis(): Promise<number> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  let removed = 0;
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${REDIS_KEY_PREFIX}*`, COUNT: 1000 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 500) removed += await client.del(keys.slice(i, i + 500));
  } finally {
    await client.quit();
  }
  return removed;
}

interface Row {
  readonly name: string;
  readonly result: LoadResult;
  readonly cpu: CpuShares | null;
  readonly baseline: LoadResult | null;
  readonly note?: string;
}

const rows: Row[] = [];
const baselines = new Map<number, LoadResult>();
let server: ServerProcess | null = null;
/** The sandbox acquirer as its own process, as a remote acquirer would be (its CPU is reported apart). */
let acquirer: ServerProcess | null = null;
let pool: pg.Pool;
let meter: CpuMeter;

function describe(result: LoadResult): string {
  const failures = Object.entries(result.failures);
  return failures.length ? ` — NOT OK: ${failures.map(([k, v]) => `${v}× ${k}`).join(', ')}` : '';
}

/** Runs a load, prints it with its ratio to the baseline at the same concurrency, and keeps it for the summary. */
/** What this database's backends are doing, sampled every 100 ms while `during` runs: shares by wait (and statement when waiting on a lock). */
async function sampleWaits<T>(during: Promise<T>): Promise<{ result: T; waits: [string, number][] }> {
  const counts = new Map<string, number>();
  let done = false;
  let total = 0;
  const sampler = (async () => {
    while (!done) {
      const { rows: found } = await pool.query<{ what: string }>(
        `select case when state = 'idle' then 'idle (in the pool)'
                     when wait_event_type = 'Lock' then 'lock wait: ' || left(regexp_replace(query, 's+', ' ', 'g'), 60)
                     when wait_event_type is null then 'running'
                     else state || ': ' || wait_event_type || ':' || wait_event end as what
         from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      for (const row of found) counts.set(row.what, (counts.get(row.what) ?? 0) + 1);
      total += found.length;
      await sleep(100);
    }
  })();
  const result = await during;
  done = true;
  await sampler;
  const waits = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([what, n]) => [what, (100 * n) / Math.max(1, total)] as [string, number]);
  return { result, waits };
}

async function measure(
  name: string,
  options: Parameters<typeof runLoad>[0],
  extra: { note?: string; isBaseline?: boolean; withCpu?: boolean; waits?: boolean } = {},
): Promise<LoadResult> {
  const withCpu = extra.withCpu ?? true;
  if (withCpu) await meter.begin();
  const sampled = extra.waits ? await sampleWaits(runLoad(options)) : { result: await runLoad(options), waits: [] };
  const result = sampled.result;
  const cpu = withCpu ? await meter.end() : null;
  if (extra.isBaseline) baselines.set(options.connections, result);
  const baseline = baselines.get(options.connections) ?? null;
  rows.push({ name, result, cpu, baseline, note: extra.note });
  const l = result.latency;
  log(
    `  ${name} @${options.connections}: ${fmt(result.rps)} ok/s (${baseline && !extra.isBaseline ? `${pct(result.rps, baseline.rps)} of baseline` : 'baseline'}), ` +
      `p50 ${fmt(l.p50)} ms, p95 ${fmt(l.p95)} ms, p99 ${fmt(l.p99)} ms, n=${result.ok}` +
      (cpu
        ? ` · CPU % server ${fmt(cpu.server, 0)} acquirer ${fmt(cpu.acquirer, 0)} load-gen ${fmt(cpu.loadGenerator, 0)} pg ${fmt(cpu.postgres, 0)} redis ${fmt(cpu.redis, 0)} other ${fmt(cpu.other, 0)}`
        : '') +
      describe(result),
  );
  if (sampled.waits.length)
    log(
      `    Postgres backends of this database (sampled every 100 ms): ${sampled.waits.map(([w, p]) => `${fmt(p, 0)} % ${w}`).join('; ')}`,
    );
  return result;
}

/** Round-robin over players with a fresh idempotency key per request. */
function purchaseRequests(
  game: BenchGame,
  players: readonly BenchPlayer[],
  sku: string,
  quantity = 1,
): () => NextRequest {
  const item = game.items[sku]!;
  let next = 0;
  return () => {
    const player = players[next++ % players.length]!;
    return {
      headers: { authorization: `Bearer ${player.gameToken}` },
      body: JSON.stringify({
        query: CREATE_PURCHASE,
        variables: {
          input: {
            gameId: game.id,
            itemId: item.id,
            quantity,
            expectedPrice: item.price,
            idempotencyKey: randomUUID(),
          },
        },
      }),
    };
  };
}

/** Round-robin over games, and over each game's players, a fresh key each. */
function spreadRequests(
  games: readonly BenchGame[],
  byGame: ReadonlyMap<string, readonly BenchPlayer[]>,
): () => NextRequest {
  const perGame = games.map((g) => purchaseRequests(g, byGame.get(g.id)!, 'life'));
  let next = 0;
  return () => perGame[next++ % perGame.length]!();
}

function fixed(body: unknown, token: string | null = null): () => NextRequest {
  const request: NextRequest = {
    body: JSON.stringify(body),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  };
  return () => request;
}

async function main(): Promise<void> {
  const started = new Date();
  const { newReceiptSigningJwk } = await import('../src/shared/receipt-signing-key.js');
  receiptKeys = JSON.stringify([newReceiptSigningJwk()]);

  log(`# Coinslot benchmark — ${started.toISOString()}`);
  log();
  const machine = {
    nproc: CORES,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpu: versionOf('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
    node: process.version,
    postgres: '',
    redis: versionOf('redis-server', ['--version']),
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
  await resetDatabase();
  pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  machine.postgres = (await pool.query<{ v: string }>('select version() as v')).rows[0]!.v.split(',')[0] as string;
  const pgSettings = (
    await pool.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('synchronous_commit','fsync','shared_buffers','max_connections','wal_level','autovacuum')`,
    )
  ).rows.map((r) => `${r.name}=${r.setting}`);
  log(
    `machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.postgres} (${pgSettings.join(', ')}), ${machine.redis}`,
  );
  log(`load average at start: ${machine.loadAverageAtStart.join(' ')} (other work on the machine skews every figure)`);
  log(
    `settings: BENCH_DURATION=${DURATION}s BENCH_SOAK=${SOAK}s BENCH_PLAYERS=${PLAYERS} database ${new URL(DATABASE_URL).pathname.slice(1)} redis prefix ${REDIS_KEY_PREFIX}`,
  );
  log();
  meter = new CpuMeter(
    () => server?.pid ?? null,
    pool,
    CORES,
    () => acquirer?.pid ?? null,
  );

  // 1. The machine's raw Postgres rate (before the server runs, so it has the machine alone).
  log('## Postgres reference');
  const reference: PgReference = await pgReference(DATABASE_URL, {
    seconds: Math.max(5, Math.round(DURATION / 2)),
    clients: [16, 64],
  });
  for (const f of reference.figures)
    log(`  ${reference.tool}: ${f.name} @${f.clients} clients: ${fmt(f.tps, 0)} tx/s, average ${fmt(f.latencyMs)} ms`);
  log();

  // 2. The two Redis round trips of the purchase path, measured alone.
  log('## Costs measured directly (sequential calls from this process)');
  const fraud: FraudBenchResult = await benchFraud({ calls: 5000, redisUrl: REDIS_URL });
  log(
    `  fraud check (one EVALSHA of velocity-rules.lua): median ${fraud.evaluate.medianMs.toFixed(3)} ms, p99 ${fraud.evaluate.p99Ms.toFixed(3)} ms; PING median ${fraud.ping.medianMs.toFixed(3)} ms, p99 ${fraud.ping.p99Ms.toFixed(3)} ms`,
  );
  const idem: IdempotencyBenchResult = await benchIdempotency({ calls: 3000, redisUrl: REDIS_URL });
  log(
    `  idempotency layer on a first request (fingerprint + begin + complete, ${idem.responseBytes} B stored): median ${idem.layer.p50.toFixed(3)} ms, p99 ${idem.layer.p99.toFixed(3)} ms ` +
      `(begin ${idem.begin.p50.toFixed(3)}, complete ${idem.complete.p50.toFixed(3)}, replay lookup ${idem.replayBegin.p50.toFixed(3)}, PING ${idem.ping.p50.toFixed(3)} ms median)`,
  );
  const statements: StatementCost[] = await benchStatementCost(DATABASE_URL);
  for (const st of statements) {
    log(
      `  one SQL statement, ${st.name}: ${st.wallMs.toFixed(3)} ms wall, ${st.nodeCpuMs.toFixed(3)} ms Node CPU, ${st.postgresCpuMs?.toFixed(3) ?? 'n/a'} ms Postgres CPU`,
    );
  }
  log();

  // 3. The server and its data.
  log('## Setup');
  let t = performance.now();
  // The acquirer in a process of its own on the same database (its connections named, so that the
  // CPU meter tells its backends from the API's), as production calls a remote acquirer.
  const acquirerDatabaseUrl = new URL(DATABASE_URL);
  acquirerDatabaseUrl.searchParams.set('application_name', ACQUIRER_APPLICATION_NAME);
  acquirer = await startServerProcess(
    'src/acquirer/main.ts',
    serverEnv({ DATABASE_URL: acquirerDatabaseUrl.toString(), ACQUIRER_PORT: '0' }),
    { readyPattern: /sandbox acquirer listening on (http:\/\/[^\s/]+)/ },
  );
  log(`  sandbox acquirer (src/acquirer/main.ts, pid ${acquirer.pid}) at ${acquirer.url}`);
  server = await startServerProcess('src/main.ts', serverEnv());
  log(`  server (src/main.ts, pid ${server.pid}) at ${server.url} in ${fmt((performance.now() - t) / 1000)} s`);
  t = performance.now();
  const url = server.url;
  const devToken = await createDeveloper(url);
  const game = await createGame(url, devToken, 'Bench game');
  await relaxRiskSettings(pool, game.rawId);
  const acquirerToken = await templateCardToken(url, pool, game);
  const historyGame = await createGame(url, devToken, 'History game');
  // Seven more games the same players have authorized: the same load spread over 8 games shows what is per game.
  const spreadGames = [game];
  for (let i = 2; i <= 8; i++) {
    const g = await createGame(url, devToken, `Bench game ${i}`);
    await relaxRiskSettings(pool, g.rawId);
    spreadGames.push(g);
  }
  const byGame = await insertPlayers(pool, {
    count: PLAYERS,
    games: spreadGames,
    pepper: SECRETS.TOKEN_PEPPER,
    acquirerToken,
    label: 'bench',
  });
  const players = byGame.get(game.id)!;
  const historyPlayers = (
    await insertPlayers(pool, {
      count: 2,
      games: [historyGame],
      pepper: SECRETS.TOKEN_PEPPER,
      acquirerToken,
      label: 'history',
    })
  ).get(historyGame.id)!;
  const [bigHistory, smallHistory] = historyPlayers as [BenchPlayer, BenchPlayer];
  await insertHistory(pool, {
    gameRawId: historyGame.rawId,
    playerId: bigHistory.id,
    itemRawId: historyGame.items.life!.rawId,
    count: 100_000,
  });
  await insertHistory(pool, {
    gameRawId: historyGame.rawId,
    playerId: smallHistory.id,
    itemRawId: historyGame.items.life!.rawId,
    count: 100,
  });
  const deepCursor = await historyCursor(pool, historyGame.rawId, bigHistory.id, 99_900);
  const catalogs: { size: number; game: BenchGame; lastPageCursor: string; lastCatalogAfter: string | null }[] = [];
  for (const size of [10, 1_000, 100_000]) {
    const g = await createGame(url, devToken, `Catalog ${size}`, false);
    await insertItems(pool, g.rawId, size);
    const { rows: last } = await pool.query<{ created_at: Date; id: string }>(
      'select created_at, id from items where game_id = $1 order by created_at, id offset $2 limit 1',
      [g.rawId, Math.max(0, size - 51)],
    );
    // The item just before the catalog's last full page: `catalog(after:)` takes an item id, not a cursor.
    const { rows: beforeLast } =
      size > CATALOG_PAGE
        ? await pool.query<{ id: string }>(
            'select id from items where game_id = $1 order by created_at, id offset $2 limit 1',
            [g.rawId, size - CATALOG_PAGE - 1],
          )
        : { rows: [] };
    catalogs.push({
      size,
      game: g,
      lastPageCursor: Buffer.from(`${last[0]!.created_at.toISOString()}|${last[0]!.id}`).toString('base64url'),
      lastCatalogAfter: beforeLast[0] ? publicId('Item', beforeLast[0].id) : null,
    });
  }
  // Vacuumed now, so that autovacuum does not wake up on these bulk inserts in the middle of a measurement.
  await pool.query('vacuum analyze');
  log(
    `  data: ${PLAYERS} players with a card and a game token (SQL), history of 100,000 and 100 purchases, catalogs of 10/1,000/100,000 items, in ${fmt((performance.now() - t) / 1000)} s`,
  );

  // Wallet players: 500 gems packs ×100 each (50,000 GEM) bought through the API, one-tap.
  t = performance.now();
  const walletPlayers = players.slice(0, Math.min(500, players.length));
  let nextWallet = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        const player = walletPlayers[nextWallet++];
        if (!player) return;
        const request = purchaseRequests(game, [player], 'gems', 100)();
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...request.headers },
          body: request.body,
        });
        const body = await response.text();
        if (succeededPurchase(response.status, body)) throw new Error(`buying gems failed: ${body.slice(0, 300)}`);
      }
    }),
  );
  log(
    `  ${walletPlayers.length} players bought 50,000 GEM each through the API in ${fmt((performance.now() - t) / 1000)} s`,
  );
  await pool.query('analyze');
  // A production Postgres runs autovacuum; where the server has it off, the bench stands in for it
  // (analyze every minute, its naptime), or statistics go stale as the run writes and plans go bad.
  const autovacuumOn = pgSettings.includes('autovacuum=on');
  const standIn = autovacuumOn
    ? null
    : setInterval(
        () =>
          void pool
            .query('vacuum analyze')
            .catch((error: unknown) => log(`  (stand-in vacuum analyze failed: ${String(error)})`)),
        60_000,
      );
  standIn?.unref();
  if (standIn) log('  autovacuum is off on this Postgres: the bench runs vacuum analyze every minute in its place');
  log();

  // 4. Warm-up (JIT, pools, prepared plans), unmeasured.
  await runLoad({ url, connections: 16, duration: 3, next: fixed({ query: TYPENAME }) });
  await runLoad({
    url,
    connections: 16,
    duration: 3,
    next: purchaseRequests(game, players, 'life'),
    check: succeededPurchase,
  });
  await sleep(DRAIN_MS);

  log('## Baseline: `{ __typename }` (no credentials: API rate limit in Redis, parse, validate, execute)');
  for (const connections of [1, 16, 64]) {
    await measure(
      'baseline { __typename }',
      { url, connections, duration: Math.max(5, DURATION / 2), next: fixed({ query: TYPENAME }), check: noErrors },
      { isBaseline: true },
    );
  }
  log();

  log('## One-tap createPurchase (approved card, a fresh idempotency key each, players round-robin)');
  const oneTap: Record<number, LoadResult> = {};
  for (const connections of [1, 16, 64]) {
    oneTap[connections] = await measure(
      'one-tap createPurchase',
      { url, connections, duration: DURATION, next: purchaseRequests(game, players, 'life'), check: succeededPurchase },
      { waits: connections === 64 },
    );
    await sleep(DRAIN_MS);
  }
  const spread = await measure(
    'one-tap createPurchase, spread over 8 games',
    { url, connections: 64, duration: DURATION, next: spreadRequests(spreadGames, byGame), check: succeededPurchase },
    { waits: true },
  );
  await sleep(DRAIN_MS);
  log();

  log('## Replayed createPurchase (same key, same request: the stored response)');
  const replayPlayer = players[players.length - 1]!;
  const replayBody = JSON.parse(purchaseRequests(game, [replayPlayer], 'life')().body) as unknown;
  const first = await gql(
    url,
    (replayBody as { query: string }).query,
    (replayBody as { variables: Record<string, unknown> }).variables,
    replayPlayer.gameToken,
  );
  if (succeededPurchase(first.status, first.text)) throw new Error(`the purchase to replay failed: ${first.text}`);
  const authenticated = await measure('authenticated { __typename } (game token looked up)', {
    url,
    connections: 64,
    duration: Math.max(5, DURATION / 2),
    next: fixed({ query: TYPENAME }, replayPlayer.gameToken),
    check: noErrors,
  });
  const replay = await measure('replayed createPurchase', {
    url,
    connections: 64,
    duration: DURATION,
    next: fixed(replayBody, replayPlayer.gameToken),
    check: succeededPurchase,
  });
  const key = (replayBody as { variables: { input: { idempotencyKey: string } } }).variables.input.idempotencyKey;
  const { rows: replayRows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from purchases where idempotency_key = $1',
    [key],
  );
  const { rows: chargeRows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from acquirer_charges c join purchases p on p.acquirer_charge_id = c.id where p.idempotency_key = $1',
    [key],
  );
  log(
    `  after ${replay.ok} replays: ${replayRows[0]!.n} purchase and ${chargeRows[0]!.n} acquirer charge under that key`,
  );
  // The server above answers replays of a key it stored from memory (IDEMPOTENCY_REPLAY_CACHE); an
  // instance that has not seen the key reads Redis: a second server without the cache shows that path.
  const main = server;
  server = await startServerProcess('src/main.ts', serverEnv({ IDEMPOTENCY_REPLAY_CACHE: '0' }));
  let replayFromRedis: LoadResult;
  try {
    // a fresh process: let the JIT warm up first, as the main server's earlier scenarios did
    await runLoad({
      url: server.url,
      connections: 16,
      duration: 3,
      next: fixed(replayBody, replayPlayer.gameToken),
      check: succeededPurchase,
    });
    replayFromRedis = await measure('replayed createPurchase, from Redis (an instance without the replay cache)', {
      url: server.url,
      connections: 64,
      duration: DURATION,
      next: fixed(replayBody, replayPlayer.gameToken),
      check: succeededPurchase,
    });
  } finally {
    await server.stop();
    server = main;
  }
  log();

  log('## Gem-priced purchase (wallet: one transaction, no card, no acquirer)');
  const wallet = await measure('wallet createPurchase', {
    url,
    connections: 64,
    duration: DURATION,
    next: purchaseRequests(game, walletPlayers, 'shield'),
    check: succeededPurchase,
  });
  await sleep(DRAIN_MS);
  log();

  // The soak comes before the catalogs, whose 80 KiB answers and whole-catalog read would sit in the heap it watches.
  log(`## Memory soak: one-tap purchases @16 for ${SOAK} s, server RSS and heap from /metrics`);
  const samples: { s: number; rss: number; heap: number }[] = [];
  const soakStart = performance.now();
  let soakDone = false;
  const sampler = (async () => {
    const every = Math.max(1000, Math.min(5000, (SOAK * 1000) / 30));
    while (!soakDone) {
      const [rss, heap] = await Promise.all([
        server!.metric('process_resident_memory_bytes'),
        server!.metric('nodejs_heap_size_used_bytes'),
      ]);
      samples.push({
        s: (performance.now() - soakStart) / 1000,
        rss: (rss ?? 0) / 2 ** 20,
        heap: (heap ?? 0) / 2 ** 20,
      });
      await sleep(every);
    }
  })();
  const soak = await measure(`soak one-tap createPurchase (${SOAK} s)`, {
    url,
    connections: 16,
    duration: SOAK,
    next: purchaseRequests(game, players, 'life'),
    check: succeededPurchase,
  });
  soakDone = true;
  await sampler;
  await sleep(DRAIN_MS);
  const settled = samples.filter((s) => s.s >= SOAK * 0.2);
  const slope = (key: 'rss' | 'heap') => {
    const n = settled.length;
    if (n < 3) return Number.NaN;
    const mx = settled.reduce((a, s) => a + s.s, 0) / n;
    const my = settled.reduce((a, s) => a + s[key], 0) / n;
    const num = settled.reduce((a, s) => a + (s.s - mx) * (s[key] - my), 0);
    const den = settled.reduce((a, s) => a + (s.s - mx) ** 2, 0);
    return (num / den) * 60;
  };
  // The heap after collections (its floor) is what a leak raises; the floor of each third of the settled part.
  const thirds = [0, 1, 2].map((k) => {
    const part = settled.filter(
      (x) => x.s >= SOAK * (0.2 + (0.8 * k) / 3) && x.s < SOAK * (0.2 + (0.8 * (k + 1)) / 3) + 0.001,
    );
    return { heapFloor: Math.min(...part.map((x) => x.heap)), rssFloor: Math.min(...part.map((x) => x.rss)) };
  });
  const firstSample = samples[0]!;
  const lastSample = samples[samples.length - 1]!;
  const memory = {
    samples: samples.length,
    rssStartMiB: firstSample.rss,
    rssEndMiB: lastSample.rss,
    rssMaxMiB: Math.max(...samples.map((s) => s.rss)),
    heapStartMiB: firstSample.heap,
    heapEndMiB: lastSample.heap,
    heapMaxMiB: Math.max(...samples.map((s) => s.heap)),
    rssSlopeMiBPerMin: slope('rss'),
    heapSlopeMiBPerMin: slope('heap'),
    purchases: soak.ok,
    heapFloorsByThirdMiB: thirds.map((t) => t.heapFloor),
    rssFloorsByThirdMiB: thirds.map((t) => t.rssFloor),
  };
  log(
    `  RSS ${fmt(memory.rssStartMiB, 0)} → ${fmt(memory.rssEndMiB, 0)} MiB (max ${fmt(memory.rssMaxMiB, 0)}; trend after the first 20 %: ${fmt(memory.rssSlopeMiBPerMin, 1)} MiB/min), ` +
      `heap used ${fmt(memory.heapStartMiB, 0)} → ${fmt(memory.heapEndMiB, 0)} MiB (max ${fmt(memory.heapMaxMiB, 0)}; trend ${fmt(memory.heapSlopeMiBPerMin, 1)} MiB/min) over ${soak.ok} purchases`,
  );
  log(
    `  floors by third of the settled part — heap: ${memory.heapFloorsByThirdMiB.map((v) => fmt(v, 0)).join(' → ')} MiB, RSS: ${memory.rssFloorsByThirdMiB.map((v) => fmt(v, 0)).join(' → ')} MiB`,
  );
  log();
  // catalog(gameId) answers one page (CATALOG_PAGE items at most) whatever the catalog's size, so
  // every size is measured under the same load: the first page, and for large catalogs the last one.
  log(`## Catalog by size (catalog answers at most ${CATALOG_PAGE} items a call; Game.items pages of 50)`);
  for (const { size, game: g, lastPageCursor, lastCatalogAfter } of catalogs) {
    const items = (n: number) =>
      `${Math.min(n, CATALOG_PAGE).toLocaleString('en-US')} of ${size.toLocaleString('en-US')} items`;
    await measure(`catalog, first page (${items(size)})`, {
      url,
      connections: 16,
      duration: Math.max(5, DURATION / 2),
      next: fixed({ query: CATALOG, variables: { gameId: g.id } }, g.publishableKey),
      check: noErrors,
    });
    if (lastCatalogAfter) {
      await measure(
        `catalog, last page (after item ${(size - CATALOG_PAGE).toLocaleString('en-US')}, ${items(size)})`,
        {
          url,
          connections: 16,
          duration: Math.max(5, DURATION / 2),
          next: fixed({ query: CATALOG, variables: { gameId: g.id, after: lastCatalogAfter } }, g.publishableKey),
          check: noErrors,
        },
      );
    }
    await measure(`Game.items(first: 50), first page, ${size.toLocaleString('en-US')} items`, {
      url,
      connections: 16,
      duration: Math.max(5, DURATION / 2),
      next: fixed({ query: GAME_ITEMS, variables: { id: g.id } }, g.publishableKey),
      check: noErrors,
    });
    if (size > 50) {
      await measure(`Game.items(first: 50), last page, ${size.toLocaleString('en-US')} items`, {
        url,
        connections: 16,
        duration: Math.max(5, DURATION / 2),
        next: fixed({ query: GAME_ITEMS, variables: { id: g.id, after: lastPageCursor } }, g.publishableKey),
        check: noErrors,
      });
    }
  }
  // A client that wants a whole large catalog reads it page by page, one request after the other.
  const whole = catalogs[catalogs.length - 1]!;
  const heapBefore = await server.metric('nodejs_heap_size_used_bytes');
  const readStart = performance.now();
  let read = 0;
  let pages = 0;
  for (let after: string | null = null; ; pages++) {
    const answer = await gql(url, CATALOG, { gameId: whole.game.id, after }, whole.game.publishableKey);
    if (answer.errors) throw new Error(`catalog page ${pages + 1}: ${answer.errors[0]?.message}`);
    const page = answer.data.catalog as { id: string }[];
    read += page.length;
    if (page.length < CATALOG_PAGE) break;
    after = page[page.length - 1]!.id;
  }
  const heapAfter = await server.metric('nodejs_heap_size_used_bytes');
  log(
    `  whole ${whole.size.toLocaleString('en-US')}-item catalog by catalog(after:), one page after the other: ${read.toLocaleString('en-US')} items in ${pages + 1} requests, ` +
      `${fmt((performance.now() - readStart) / 1000)} s; server heap used ${fmt((heapBefore ?? 0) / 2 ** 20, 0)} → ${fmt((heapAfter ?? 0) / 2 ** 20, 0)} MiB`,
  );
  const sizes = [];
  for (const c of catalogs) {
    const answer = await gql(url, CATALOG, { gameId: c.game.id }, c.game.publishableKey);
    sizes.push(
      `${c.size.toLocaleString('en-US')}: ${answer.errors ? `error (${answer.errors[0]?.message})` : `${answer.data.catalog.length} items, ${fmt(Buffer.byteLength(answer.text) / 1024, 0)} KiB`}`,
    );
  }
  log(`  catalog first-page answer sizes by catalog size — ${sizes.join(', ')}`);
  log();

  log("## Purchase history: purchases(gameId, first: 50, after) with the player's game token");
  const hist = (player: BenchPlayer, after?: string) =>
    fixed({ query: PURCHASES, variables: { gameId: historyGame.id, ...(after ? { after } : {}) } }, player.gameToken);
  await measure('history, 100 purchases, first page', {
    url,
    connections: 16,
    duration: Math.max(5, DURATION / 2),
    next: hist(smallHistory),
    check: noErrors,
  });
  await measure('history, 100,000 purchases, first page', {
    url,
    connections: 16,
    duration: Math.max(5, DURATION / 2),
    next: hist(bigHistory),
    check: noErrors,
  });
  await measure('history, 100,000 purchases, page after row 99,900', {
    url,
    connections: 16,
    duration: Math.max(5, DURATION / 2),
    next: hist(bigHistory, deepCursor),
    check: noErrors,
  });
  log();

  await server.stop();
  server = null;

  const cluster: { workers: number; result: LoadResult }[] = [];
  if (WITH_CLUSTER) {
    // Spread over the 8 games: on one game the sales queue on that game's ledger balance rows whatever the process count.
    log(
      '## Cluster (src/cluster.ts): one-tap createPurchase @64 over the 8 games against 1 and 2 API processes (acquirer in the primary)',
    );
    for (const workers of [1, 2]) {
      server = await startServerProcess('src/cluster.ts', serverEnv({ CLUSTER_WORKERS: String(workers) }));
      await runLoad({
        url: server.url,
        connections: 64,
        duration: 3,
        next: spreadRequests(spreadGames, byGame),
        check: succeededPurchase,
      });
      await sleep(DRAIN_MS);
      const result = await measure(`cluster, ${workers} API process${workers === 1 ? '' : 'es'}, 8 games`, {
        url: server.url,
        connections: 64,
        duration: DURATION,
        next: spreadRequests(spreadGames, byGame),
        check: succeededPurchase,
      });
      cluster.push({ workers, result });
      await server.stop();
      server = null;
    }
    log(`  scaling 1 → 2 processes: ×${fmt(cluster[1]!.result.rps / cluster[0]!.result.rps)}`);
    log();
  }

  // Summary.
  const removed = await cleanRedis();
  log('## Summary');
  log();
  log(
    table(
      [
        'scenario',
        'conns',
        'ok/s',
        '% of baseline ok/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'p50 × baseline',
        'server CPU %',
        'acquirer CPU %',
        'load-gen CPU %',
        'Postgres CPU %',
        'Redis CPU %',
        'other CPU %',
        'server CPU ms/op',
        'Postgres CPU ms/op',
        'Redis CPU ms/op',
        'not ok',
      ],
      rows.map(({ name, result, cpu, baseline }) => [
        name,
        String(result.connections),
        fmt(result.rps, result.rps < 10 ? 2 : 0),
        baseline && baseline !== result ? pct(result.rps, baseline.rps) : '—',
        fmt(result.latency.p50),
        fmt(result.latency.p95),
        fmt(result.latency.p99),
        baseline && baseline !== result ? `×${fmt(result.latency.p50 / baseline.latency.p50, 1)}` : '—',
        cpu ? fmt(cpu.server, 0) : '',
        cpu ? fmt(cpu.acquirer, 0) : '',
        cpu ? fmt(cpu.loadGenerator, 0) : '',
        cpu ? fmt(cpu.postgres, 0) : '',
        cpu ? fmt(cpu.redis, 0) : '',
        cpu ? fmt(cpu.other, 0) : '',
        cpu && result.rps > 0 ? fmt((10 * cpu.server) / result.rps) : '',
        cpu && result.rps > 0 ? fmt((10 * cpu.postgres) / result.rps) : '',
        cpu && result.rps > 0 ? fmt((10 * cpu.redis) / result.rps) : '',
        String(Object.values(result.failures).reduce((a, b) => a + b, 0)),
      ]),
    ),
  );
  log();
  const at64 = oneTap[64]!;
  const base64 = baselines.get(64)!;
  // Issue 18's targets: one-tap as a ratio to the trivial query of the same run.
  for (const connections of [1, 16, 64]) {
    const ratio = oneTap[connections]!.rps / baselines.get(connections)!.rps;
    log(
      `one-tap @${connections}: ${fmt(oneTap[connections]!.rps, 0)} purchases/s = ×${ratio.toFixed(3)} the baseline (targets ×0.12 at the round-trip floor: ${ratio >= 0.12 ? 'reached' : 'NOT reached'}; ×0.20 with group commit: ${ratio >= 0.2 ? 'reached' : 'NOT reached'})`,
    );
  }
  log(
    `one-tap @64 p99 ${fmt(at64.latency.p99)} ms (target ≤ 250 ms: ${at64.latency.p99 <= 250 ? 'reached' : 'NOT reached'}); wallet @64 ×${(wallet.rps / base64.rps).toFixed(3)} the baseline (target ×0.30: ${wallet.rps >= 0.3 * base64.rps ? 'reached' : 'NOT reached'})`,
  );
  log(
    `one-tap @64: ${fmt(at64.rps, 0)} purchases/s, p99 ${fmt(at64.latency.p99)} ms (target ≥ 1,000/s with p99 ≤ 100 ms on 2 cores: ${at64.rps >= 1000 && at64.latency.p99 <= 100 ? 'reached' : 'NOT reached'})`,
  );
  log(
    `replay @64: ${pct(replay.rps, base64.rps)} of the baseline (target ≥ 70 %: ${replay.rps >= 0.7 * base64.rps ? 'reached' : 'NOT reached'}); ` +
      `${pct(replay.rps, authenticated.rps)} of an authenticated { __typename }; from Redis (an instance that has not seen the key): ${pct(replayFromRedis.rps, base64.rps)} of the baseline`,
  );
  log(
    `idempotency layer: median ${idem.layer.p50.toFixed(3)} ms (target ≤ 1 ms: ${idem.layer.p50 <= 1 ? 'reached' : 'NOT reached'}), p99 ${idem.layer.p99.toFixed(3)} ms`,
  );
  log(
    `fraud check: median ${fraud.evaluate.medianMs.toFixed(3)} ms, p99 ${fraud.evaluate.p99Ms.toFixed(3)} ms (one round trip)`,
  );
  for (const f of reference.figures)
    log(
      `Postgres reference: ${f.name} @${f.clients}: ${fmt(f.tps, 0)} tx/s; one-tap @64 = ${fmt(at64.rps, 0)} purchases/s ≈ ${fmt(((3 * at64.rps) / f.tps) * 100, 0)} % of it counting the purchase's three write commits`,
    );
  log(
    `one-tap @64 over 8 games: ${fmt(spread.rps, 0)} purchases/s (×${fmt(spread.rps / at64.rps)} the one-game figure)`,
  );
  if (cluster.length === 2)
    log(
      `cluster: 1 process ${fmt(cluster[0]!.result.rps, 0)}/s, 2 processes ${fmt(cluster[1]!.result.rps, 0)}/s (×${fmt(cluster[1]!.result.rps / cluster[0]!.result.rps)})`,
    );
  if (standIn) clearInterval(standIn);
  log(
    `load average at the end: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(
        ' ',
      )}; ${removed} Redis keys of this run removed; took ${fmt((Date.now() - started.getTime()) / 1000, 0)} s`,
  );

  if (process.env.BENCH_JSON) {
    writeFileSync(
      process.env.BENCH_JSON,
      JSON.stringify(
        {
          started,
          machine,
          pgSettings,
          settings: { DURATION, SOAK, PLAYERS },
          reference,
          fraud,
          idempotency: idem,
          statements,
          rows,
          memory,
          memorySamples: samples,
          cluster,
        },
        null,
        2,
      ),
    );
  }
  await pool.end();
}

main()
  .catch(async (error: unknown) => {
    console.error(error);
    if (server) console.error(`--- server output ---\n${server.output().slice(-4000)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await server?.stop().catch(() => undefined);
    await acquirer?.stop().catch(() => undefined);
    await cleanRedis().catch(() => undefined);
  });
