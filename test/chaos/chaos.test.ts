// Chaos: load against two Coinslot processes sharing Postgres and a private Redis, while processes are
// SIGKILLed and restarted, Redis is restarted, the acquirer misbehaves and the game's webhook endpoint
// fails; afterwards every promise of the money path is checked in the database and at the receiver.
// CHAOS_SIZE=small (CI, under 3 minutes) or full (longer, more players and operations).
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcquirerServer, FAULT_MODES, type AcquirerServer } from '../../src/acquirer/index.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { armAcquirerFault, clearAcquirerFaults } from '../helpers/acquirer-control.js';
import {
  CARDS,
  confirmPurchaseDocument,
  createPurchaseDocument,
  decodeId,
  randomApprovedCard,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type ItemSpec,
  type PlayerSetup,
} from '../helpers/flows.js';
import { graphql, isTypename, type TadaDocumentNode } from '../helpers/graphql.js';
import { clientAddress, closeAgents, httpGql, type HttpGqlResult } from '../helpers/http-client.js';
import { isolatedDatabase } from '../helpers/isolated-database.js';
import { checkMoneyInvariants } from '../helpers/money-invariants.js';
import { CoinslotProcess, freePort, PrivateRedis, waitFor } from '../helpers/processes.js';
import { createTestApp, testEnv, type TestApp } from '../helpers/test-app.js';
import { startFlakyReceiver, type FlakyReceiver } from './webhook-receiver.js';

/** The load runs until both `operations` are done and `minSeconds` have passed, so that a fast machine still sees chaos. */
const SIZES = {
  small: { players: 30, operations: 250, minSeconds: 40, clients: 10, settleMs: 90_000 },
  // A long run leaves thousands of events behind a receiver that fails one time in five: catching up takes minutes.
  full: { players: 100, operations: 1_500, minSeconds: 240, clients: 24, settleMs: 900_000 },
} as const;
const sizeName = (process.env.CHAOS_SIZE ?? 'small') as keyof typeof SIZES;
if (!(sizeName in SIZES)) throw new Error(`CHAOS_SIZE must be small or full, not ${sizeName}`);
const SIZE = SIZES[sizeName];

const CONSUME = graphql(`
  mutation ConsumeItem($input: ConsumeItemInput!) {
    consumeItem(input: $input) { __typename ... on ConsumeItemPayload { entry { quantity } } ... on Error { code message } }
  }
`);

/** Special cards: each on at most two players (three players on one card is a fraud block by design). */
const SPECIAL_CARDS = [
  CARDS.declinesLater,
  CARDS.authRequired,
  CARDS.elevatedRisk,
  CARDS.highestRisk,
  CARDS.processingError,
];

interface Player extends PlayerSetup {
  readonly address: string;
  readonly card: string;
}

interface Item {
  readonly id: string;
  readonly price: { amount: string; currency: string };
}

/** The last answer a client got for one idempotency key (after its retries). */
interface Outcome {
  readonly op: 'purchase' | 'confirm' | 'consume';
  readonly key: string;
  readonly typename: string;
  readonly purchaseId?: string;
  readonly status?: string;
}

// Real pauses on purpose, and never as a wait for a condition: a client's back-off between retries,
// the chaos monkey's random rhythm and how long a killed process or Redis stays down are the subject
// of this test (what the system does while time passes). Conditions are awaited with waitFor.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
const between = (min: number, max: number) => Math.floor(min + Math.random() * (max - min + 1));
const RETRYABLE = new Set(['IdempotencyInProgress', 'ServiceUnavailable', 'RateLimited']);

describe(`chaos (${sizeName}): SIGKILLed API processes, a restarted Redis, acquirer faults and a flaky webhook endpoint`, () => {
  let url: string;
  let database: DatabaseHandle;
  let redis: PrivateRedis;
  let acquirer: AcquirerServer;
  let app: TestApp;
  let receiver: FlakyReceiver;
  let instances: CoinslotProcess[] = [];
  let game: GameSetup;
  const players: Player[] = [];
  const startedAt = new Date();
  const log = {
    kills: 0,
    redisRestarts: 0,
    faults: {} as Record<string, number>,
    http500: [] as string[],
    internal: [] as string[],
    networkErrors: 0,
    retries: 0,
  };

  beforeAll(async () => {
    url = await isolatedDatabase('chaos');
    database = await openDatabase({ url, dataDir: '.data/test', poolSize: 10 });
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const env = testEnv({ DATABASE_URL: url, REDIS_URL: redis.url });
    acquirer = createAcquirerServer({
      db: database.db,
      secret: env.ACQUIRER_SECRET!,
      testMode: true,
      disputeDelayMs: 3_600_000,
      logger: pino({ level: 'silent' }),
    });
    const acquirerUrl = await acquirer.listen(0, '127.0.0.1');
    let webhookSecret = '';
    receiver = await startFlakyReceiver({ secret: () => webhookSecret, failureRate: 0.2, slowMs: 2_500 });
    app = await createTestApp({
      env: {
        DATABASE_URL: url,
        REDIS_URL: redis.url,
        ACQUIRER_URL: acquirerUrl,
        BACKGROUND_JOBS: 'false',
        WEBHOOK_DISPATCHER: 'off',
      },
    });
    // A developer and a game whose webhooks go to the receiver, with a GEM currency and the items the load buys.
    game = await setUpGame(app, CHAOS_ITEMS, { name: 'Chaos', webhookUrl: receiver.url });
    webhookSecret = game.webhookSecret;

    const cards = [...SPECIAL_CARDS, ...SPECIAL_CARDS];
    for (let i = 0; i < SIZE.players; i += 6) {
      const batch = Array.from({ length: Math.min(6, SIZE.players - i) }, (_, j) => {
        const card = cards[i + j] ?? randomApprovedCard();
        // A one-tap allowance of 10.00 a purchase: 'big' (49.99) goes through the pay sheet.
        return setUpPlayer(app, { gameId: game.gameId }, { card, oneTapMax: '1000', dailyCap: '20000' }).then((p) => ({
          ...p,
          card,
          address: clientAddress(i + j),
        }));
      });
      players.push(...(await Promise.all(batch)));
    }

    // Both processes share one Redis key prefix: idempotency, limits and pub/sub span the instances.
    const shared = testEnv({
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: '10',
      REDIS_URL: redis.url,
      REDIS_COMMAND_TIMEOUT: '500ms',
      ACQUIRER_URL: acquirerUrl,
      ACQUIRER_TIMEOUT: '2s',
      RECOVERY_THRESHOLD: '3s',
      RECOVERY_INTERVAL: '500ms',
      IDEMPOTENCY_LOCK_TTL: '4s',
      PURCHASE_CONFIRMATION_TTL: '15m',
      WEBHOOK_RETRY_SCHEDULE: '200ms,500ms,1s,1s,2s,2s,2s,2s,2s,2s,2s,2s,2s,2s',
      WEBHOOK_TIMEOUT: '2s',
      WEBHOOK_POLL_INTERVAL: '500ms',
      API_RATE_LIMIT_PER_CREDENTIAL: '100000',
      API_RATE_LIMIT_PER_IP: '100000',
      LOG_LEVEL: 'warn',
    });
    instances = await Promise.all(
      ['api-1', 'api-2'].map(async (name) => new CoinslotProcess(name, await freePort(), shared)),
    );
    await Promise.all(instances.map((i) => i.start()));
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(instances.map((i) => i.kill()));
    await closeAgents();
    await app?.close();
    await receiver?.close();
    await acquirer?.close();
    await redis?.kill();
    await database?.close();
  });

  /** One request to a random instance, retried with the same body (so the same idempotency key) like a real client. */
  async function call<R extends { [k in K]: { __typename: string } }, V, K extends string>(
    document: TadaDocumentNode<R, V>,
    variables: V,
    token: string,
    address: string,
    field: K,
  ): Promise<R[K] | null> {
    const deadline = Date.now() + 45_000;
    for (let attempt = 0; Date.now() < deadline; attempt += 1) {
      if (attempt > 0) {
        log.retries += 1;
        await sleep(between(150, 600));
      }
      // A load balancer sends to the instances that pass its health check; with none, the client waits.
      const live = instances.filter((i) => i.ready);
      if (live.length === 0) continue;
      const target = pick(live);
      let result: HttpGqlResult<R>;
      try {
        result = await httpGql(target.url, document, variables, { token, address, timeoutMs: 12_000 });
      } catch {
        log.networkErrors += 1;
        continue;
      }
      if (result.status >= 500 && result.status !== 503)
        log.http500.push(
          `${field} HTTP ${result.status}: ${JSON.stringify(result.errors ?? result.data).slice(0, 300)}`,
        );
      // A masked error is an exception nobody mapped to a typed error: a bug even when a retry succeeds.
      for (const error of result.errors ?? []) {
        if (error.extensions?.code === 'INTERNAL_SERVER_ERROR')
          log.internal.push(`${field} on ${target.name}: ${error.message}`);
      }
      const value = result.data?.[field];
      if (!value) continue; // 503 (Redis down: mutations fail closed), 429, or a masked error: retry
      if (RETRYABLE.has(value.__typename)) continue;
      return value;
    }
    return null;
  }

  async function purchase(player: Player, item: Item, quantity: number, outcomes: Outcome[]): Promise<void> {
    const key = randomUUID();
    const input = { gameId: game.gameId, itemId: item.id, quantity, expectedPrice: item.price, idempotencyKey: key };
    const value = await call(createPurchaseDocument, { input }, player.gameToken, player.address, 'createPurchase');
    if (!value) return;
    const made = isTypename(value, 'PurchasePayload') ? value.purchase : undefined;
    outcomes.push({
      op: 'purchase',
      key,
      typename: value.__typename,
      purchaseId: made?.id,
      status: made?.status,
    });
    let current: { id: string; status: string } | undefined = made;
    // The player confirms in the pay sheet most of the time (with the CVC when asked), else walks away.
    for (
      let step = 0;
      current &&
      step < 2 &&
      ['REQUIRES_CONFIRMATION', 'REQUIRES_ACTION'].includes(current.status) &&
      Math.random() < 0.85;
      step += 1
    ) {
      const confirmKey = randomUUID();
      const confirmed = await call(
        confirmPurchaseDocument,
        {
          input: {
            purchaseId: current.id,
            idempotencyKey: confirmKey,
            ...(current.status === 'REQUIRES_ACTION' ? { cvc: '123' } : {}),
          },
        },
        player.playerToken,
        player.address,
        'confirmPurchase',
      );
      if (!confirmed) return;
      const after = isTypename(confirmed, 'PurchasePayload') ? confirmed.purchase : undefined;
      outcomes.push({
        op: 'confirm',
        key: confirmKey,
        typename: confirmed.__typename,
        purchaseId: after?.id ?? current.id,
        status: after?.status,
      });
      current = after;
    }
  }

  async function consume(player: Player, outcomes: Outcome[]): Promise<void> {
    const key = randomUUID();
    const input = { playerId: player.playerId, itemId: game.items.life!.id, quantity: 1, idempotencyKey: key };
    const value = await call(CONSUME, { input }, game.secretKey, player.address, 'consumeItem');
    if (value) outcomes.push({ op: 'consume', key, typename: value.__typename });
  }

  /** What a client does next: mostly one-tap buys, some pay-sheet buys, gem spending and consumption. */
  async function operation(outcomes: Outcome[]): Promise<void> {
    const player = pick(players);
    const roll = Math.random();
    if (roll < 0.4) return purchase(player, game.items.life!, between(1, 3), outcomes);
    if (roll < 0.55) return purchase(player, game.items.gems!, 1, outcomes);
    if (roll < 0.62) return purchase(player, game.items.skin!, 1, outcomes);
    if (roll < 0.7) return purchase(player, game.items.big!, 1, outcomes);
    if (roll < 0.85) return purchase(player, game.items.shield!, 1, outcomes);
    return consume(player, outcomes);
  }

  /** Kills and restarts processes, restarts Redis and arms acquirer faults at random until stopped. */
  async function monkey(stop: { done: boolean }): Promise<void> {
    const restarting = new Set<CoinslotProcess>();
    const pending: Promise<void>[] = [];
    const restart = async (instance: CoinslotProcess) => {
      restarting.add(instance);
      try {
        await instance.kill('SIGKILL');
        log.kills += 1;
        await sleep(between(200, 1_500));
        await startWithRetries(instance);
      } finally {
        restarting.delete(instance);
      }
    };
    const began = Date.now();
    let lastRedisRestart = began;
    while (!stop.done) {
      await sleep(between(700, 2_000));
      if (stop.done) break;
      // Every run sees at least one kill (after 8 s) and one Redis restart (after 20 s), whatever the dice say.
      const roll =
        log.kills === 0 && Date.now() - began > 8_000
          ? 0
          : log.redisRestarts === 0 && Date.now() - began > 20_000
            ? 0.35
            : Math.random();
      if (roll < 0.3) {
        const candidates = instances.filter((i) => !restarting.has(i) && i.ready);
        // Mostly keep one instance serving; now and then both go down together.
        if (candidates.length === 2 || (candidates.length === 1 && Math.random() < 0.35))
          pending.push(restart(pick(candidates)));
      } else if (roll >= 0.3 && roll < 0.4 && Date.now() - lastRedisRestart > 15_000) {
        lastRedisRestart = Date.now();
        await redis.kill();
        log.redisRestarts += 1;
        await sleep(between(300, 1_500));
        await redis.start();
      } else {
        const mode = pick(FAULT_MODES);
        const fault: Record<string, unknown> = {
          mode,
          count: between(1, 4),
          path: '/v1/charges',
          ...(Math.random() < 0.8 ? { method: 'POST' } : {}),
        };
        if (mode === 'latency') fault.ms = between(100, 1_500);
        if (mode === 'timeout_after_charge') fault.ms = between(2_500, 4_000);
        if (mode === 'drop_connection') fault.phase = pick(['before', 'after']);
        await armAcquirerFault(app, fault);
        log.faults[mode] = (log.faults[mode] ?? 0) + 1;
      }
    }
    await Promise.all(pending);
  }

  async function startWithRetries(instance: CoinslotProcess): Promise<void> {
    // A process that starts while Redis is down gives up after a few seconds; start it again, as an orchestrator would.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await instance.start(30_000);
        return;
      } catch (error) {
        await instance.kill();
        if (attempt >= 5) throw error;
        await sleep(1_000);
      }
    }
  }

  it(
    'keeps every promise: one SUCCEEDED purchase per charge, inventory and ledger, nothing PROCESSING, every webhook delivered',
    async () => {
      const gameId = decodeId(game.gameId);
      const outcomes: Outcome[] = [];
      const stop = { done: false };
      const chaos = monkey(stop);
      let next = 0;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: SIZE.clients }, async () => {
          while (next < SIZE.operations || Date.now() - started < SIZE.minSeconds * 1_000) {
            next += 1;
            await operation(outcomes);
          }
        }),
      );
      stop.done = true;
      await chaos;
      const loadMs = Date.now() - started;

      // Calm: faults cleared, Redis and both processes up; then recovery and the dispatchers catch up.
      await clearAcquirerFaults(app);
      if (!redis.running) await redis.start();
      await Promise.all(instances.filter((i) => !i.running).map((i) => startWithRetries(i)));
      const settleStarted = Date.now();
      let backlog = { processing: -1, pending: -1 };
      await waitFor(
        async () => {
          const { rows } = await database.pool!.query(
            `select (select count(*)::int from purchases where game_id = $1 and status = 'PROCESSING') as processing,
                  (select count(*)::int from outbox_events where game_id = $1 and status = 'pending') as pending`,
            [gameId],
          );
          backlog = rows[0];
          return backlog.processing === 0 && backlog.pending === 0;
        },
        SIZE.settleMs,
        'recovery and webhook delivery to catch up',
        250,
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}: still ${backlog.processing} PROCESSING purchases and ${backlog.pending} pending webhook events`,
        );
      });
      const settleMs = Date.now() - settleStarted;

      const report = await checkMoneyInvariants(database.pool!, database.db, { gameId, orphanChargesSince: startedAt });
      const events = (
        await database.pool!.query('select id, type, status from outbox_events where game_id = $1', [gameId])
      ).rows as { id: string; type: string; status: string }[];
      const undelivered = events.filter((e) => e.status !== 'delivered' || !receiver.delivered.has(e.id));
      const unknown = [...receiver.delivered.keys()].filter((id) => !events.some((e) => e.id === id));
      const mismatches = await compareWithClients(database, gameId, outcomes);
      const statuses = (
        await database.pool!.query(
          'select status, count(*)::int as n from purchases where game_id = $1 group by status order by status',
          [gameId],
        )
      ).rows;

      console.log(
        JSON.stringify(
          {
            size: sizeName,
            loadSeconds: Math.round(loadMs / 1000),
            settleSeconds: Math.round(settleMs / 1000),
            operations: outcomes.length,
            answers: tally(outcomes.map((o) => `${o.op}:${o.typename}${o.status ? `:${o.status}` : ''}`)),
            purchases: Object.fromEntries(statuses.map((s: { status: string; n: number }) => [s.status, s.n])),
            charges: { all: report.counts.charges, living: report.counts.livingCharges },
            chaos: {
              kills: log.kills,
              redisRestarts: log.redisRestarts,
              faults: log.faults,
              networkErrors: log.networkErrors,
              retries: log.retries,
              internalErrors: log.internal.length,
            },
            webhooks: { events: events.length, ...receiver.stats, distinctDelivered: receiver.delivered.size },
          },
          null,
          2,
        ),
      );

      expect(report.violations, instances.flatMap((i) => i.output.slice(-10)).join('\n')).toEqual([]);
      expect(undelivered.map((e) => `${e.id} ${e.type} ${e.status}`)).toEqual([]);
      expect(unknown).toEqual([]);
      expect(receiver.invalid).toEqual([]);
      expect(mismatches).toEqual([]);
      expect(log.http500).toEqual([]);
      expect(
        log.internal,
        instances.flatMap((i) => i.output.filter((line) => /unexpected error/.test(line))).join('\n'),
      ).toEqual([]);
      // The run really was chaotic and really sold things.
      expect(log.kills).toBeGreaterThan(0);
      expect(log.redisRestarts).toBeGreaterThan(0);
      expect(Object.keys(log.faults).length).toBeGreaterThan(0);
      expect(report.counts.SUCCEEDED ?? 0).toBeGreaterThan(SIZE.operations / 10);
    },
    30 * 60_000,
  );
});

/** The items the load buys: a USD consumable, pack, durable and big item, and a GEM-priced shield. */
const CHAOS_ITEMS: ItemSpec[] = [
  { sku: 'life', kind: 'CONSUMABLE', price: '99' },
  { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
  { sku: 'skin', kind: 'DURABLE', price: '299' },
  { sku: 'big', kind: 'CONSUMABLE', price: '4999' },
  { sku: 'shield', kind: 'CONSUMABLE', price: '120', currency: 'GEM' },
];

/** Where an answer a client kept disagrees with the database. */
async function compareWithClients(database: DatabaseHandle, gameId: string, outcomes: Outcome[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const o of outcomes) {
    if (o.op === 'consume') {
      const { rows } = await database.pool!.query(
        `select count(*)::int as n from inventory_events where game_id = $1 and kind = 'consume' and reference = $2`,
        [gameId, o.key],
      );
      const expected = o.typename === 'ConsumeItemPayload' ? 1 : 0;
      if (rows[0].n !== expected)
        wrong.push(`consume ${o.key} answered ${o.typename} but ${rows[0].n} consumptions were recorded`);
      continue;
    }
    if (!o.purchaseId) continue;
    const { rows } = await database.pool!.query('select status from purchases where id = $1', [decodeId(o.purchaseId)]);
    const status = rows[0]?.status as string | undefined;
    if (!status) wrong.push(`${o.op} ${o.key} answered purchase ${o.purchaseId}, which does not exist`);
    else if (o.status === 'SUCCEEDED' && status !== 'SUCCEEDED')
      wrong.push(`${o.op} ${o.key} answered SUCCEEDED but the purchase is ${status}`);
  }
  return wrong;
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values.sort()) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
