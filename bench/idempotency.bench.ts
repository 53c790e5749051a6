// The idempotency layer's own cost on a createPurchase: what the yoga plugin adds to a first request —
// the scope and request fingerprint (HMAC over canonical JSON), begin (SET NX PX via Lua) and complete
// (compare-and-set storing the response) — run sequentially against the machine's Redis, at the median
// and p99; a PING on the same connection is the floor. Run: `npx tsx bench/idempotency.bench.ts [calls]`.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRedisClients } from '../src/adapters/redis/redis-client.js';
import { createRedisIdempotencyStore } from '../src/adapters/redis/redis-idempotency-store.js';
import { createLogger } from '../src/logger.js';
import { idempotencyScope, requestFingerprint } from '../src/modules/idempotency/index.js';
import { latency, type Latency } from './lib/stats.js';

export interface IdempotencyBenchResult {
  /** fingerprint + begin + complete: the layer's added work on one first request. */
  readonly layer: Latency;
  readonly begin: Latency;
  readonly complete: Latency;
  /** A replay's lookup: begin on a completed key (the stored response comes back). */
  readonly replayBegin: Latency;
  readonly ping: Latency;
  readonly responseBytes: number;
}

/** A createPurchase answer of the usual size (the bytes the layer stores). */
function sampleResponse(): string {
  const receipt = `eyJhbGciOiJFUzI1NiJ9.${'x'.repeat(420)}.${'y'.repeat(86)}`;
  return JSON.stringify({
    data: {
      createPurchase: {
        __typename: 'PurchasePayload',
        purchase: {
          id: Buffer.from(`Purchase:${randomUUID()}`).toString('base64'),
          status: 'SUCCEEDED',
          quantity: 1,
          declineCode: null,
          payUrl: null,
          receipt,
          oneTap: true,
          paidWith: 'CARD',
          price: { amount: '99', currency: 'USD', formatted: '$0.99' },
          item: { id: Buffer.from(`Item:${randomUUID()}`).toString('base64'), sku: 'life', name: 'life' },
        },
      },
    },
  });
}

export async function benchIdempotency(
  options: { calls?: number; redisUrl?: string } = {},
): Promise<IdempotencyBenchResult> {
  const calls = options.calls ?? 3000;
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = `bench:idem:${randomUUID()}:`;
  const redis = createRedisClients({
    url: redisUrl,
    commandTimeoutMs: 2000,
    keyPrefix,
    logger: createLogger('silent'),
  });
  if (!(await redis.connect(5000))) throw new Error(`Redis is not reachable at ${redisUrl}`);
  const store = createRedisIdempotencyStore(redis);
  const secret = 'bench-pepper-bench-pepper-bench-pepper-01';
  const body = sampleResponse();
  const principal = {
    kind: 'player_game',
    playerId: randomUUID(),
    gameId: randomUUID(),
    authorizationId: randomUUID(),
  } as const;
  const args = (key: string) => [
    {
      field: 'createPurchase',
      args: {
        input: {
          gameId: principal.gameId,
          itemId: randomUUID(),
          quantity: 1,
          expectedPrice: { amount: '99', currency: 'USD' },
          idempotencyKey: key,
        },
      },
    },
  ];
  const layer: number[] = [];
  const begins: number[] = [];
  const completes: number[] = [];
  const replays: number[] = [];
  const pings: number[] = [];
  try {
    for (let i = 0; i < calls + 200; i++) {
      const key = randomUUID();
      const t0 = performance.now();
      const scope = idempotencyScope(principal, 'createPurchase', key);
      const fingerprint = requestFingerprint(secret, 'createPurchase', args(key));
      const t1 = performance.now();
      const begun = await store.begin(scope, fingerprint, 60_000);
      const t2 = performance.now();
      if (begun.state !== 'acquired') throw new Error('a fresh key was not acquired');
      await store.complete(
        scope,
        begun.ownerToken,
        { status: 200, headers: { 'content-type': 'application/json' }, body },
        86_400_000,
      );
      const t3 = performance.now();
      const replay = await store.begin(scope, fingerprint, 60_000);
      const t4 = performance.now();
      if (replay.state !== 'completed') throw new Error('a completed key did not replay');
      await redis.client.ping();
      const t5 = performance.now();
      if (i < 200) continue; // warm-up
      layer.push(t1 - t0 + (t3 - t1));
      begins.push(t2 - t1);
      completes.push(t3 - t2);
      replays.push(t4 - t3);
      pings.push(t5 - t4);
    }
  } finally {
    const keys: string[] = [];
    for await (const batch of redis.client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 500) await redis.client.del(keys.slice(i, i + 500));
    await redis.close();
  }
  return {
    layer: latency(layer),
    begin: latency(begins),
    complete: latency(completes),
    replayBegin: latency(replays),
    ping: latency(pings),
    responseBytes: Buffer.byteLength(body),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const calls = Number(process.argv[2] ?? 3000);
  benchIdempotency({ calls })
    .then((r) => {
      const row = (name: string, l: Latency) =>
        `${name.padEnd(34)} median ${l.p50.toFixed(3)} ms  p99 ${l.p99.toFixed(3)} ms`;
      console.log(row('layer (fingerprint+begin+complete)', r.layer));
      console.log(row('begin', r.begin));
      console.log(row('complete', r.complete));
      console.log(row('replay lookup (begin, completed)', r.replayBegin));
      console.log(row('PING', r.ping));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
