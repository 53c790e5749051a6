// The fraud check's cost per purchase: one VelocityStore.evaluate (one EVALSHA of velocity-rules.lua)
// against the machine's Redis, sequentially, at the median and p99; a PING is measured the same way
// as the floor of any round trip. Run: `npx tsx bench/fraud.bench.ts [calls]`, or call benchFraud().
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRedisClients } from '../src/adapters/redis/redis-client.js';
import { createRedisVelocityStore } from '../src/adapters/redis/redis-velocity-store.js';
import { createLogger } from '../src/logger.js';
import type { PurchaseVelocityRequest } from '../src/shared/velocity-port.js';

export interface LatencyFigures {
  readonly calls: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

export interface FraudBenchResult {
  readonly redisUrl: string;
  /** One evaluate: every counter of a purchase decision read and updated in one round trip. */
  readonly evaluate: LatencyFigures;
  /** PING on the same connection: the round trip alone. */
  readonly ping: LatencyFigures;
  /** What the Lua work adds over a bare round trip, at the median. */
  readonly addedOverPingMedianMs: number;
  /** Decisions that the counters blocked during the run (the load hits the per-player limits too). */
  readonly blocked: number;
}

export interface FraudBenchOptions {
  readonly calls?: number;
  readonly redisUrl?: string;
  /** Distinct players the calls rotate over (fewer players → more blocks, longer logs). */
  readonly players?: number;
}

function figures(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    calls: samples.length,
    medianMs: round(at(0.5)),
    p99Ms: round(at(0.99)),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    maxMs: round(sorted[sorted.length - 1] as number),
  };
}

/** Measures the fraud check against Redis (its own key prefix, removed afterwards) and returns the figures. */
export async function benchFraud(options: FraudBenchOptions = {}): Promise<FraudBenchResult> {
  const calls = options.calls ?? 5000;
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = `bench:fraud:${randomUUID()}:`;
  const redis = createRedisClients({
    url: redisUrl,
    commandTimeoutMs: 2000,
    keyPrefix,
    logger: createLogger('silent'),
  });
  if (!(await redis.connect(5000))) throw new Error(`Redis is not reachable at ${redisUrl}`);
  const store = createRedisVelocityStore(redis);
  const players = Array.from({ length: options.players ?? 1000 }, () => randomUUID());
  const cards = players.map(() => randomBytes(32).toString('base64url'));
  const request = (i: number): PurchaseVelocityRequest => ({
    nowMs: Date.now(),
    playerId: players[i % players.length] as string,
    attemptId: randomUUID(),
    amountMinor: 499,
    currency: 'USD',
    cardFingerprint: cards[i % cards.length] as string,
    cardHasPaid: false,
    ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
    deviceId: `device-${i % players.length}`,
    limits: {
      purchasesPerMinute: 10,
      purchasesPerHour: 60,
      dailyAmountCap: 50_000,
      declinesToBlock: 3,
      declineBlockMs: 3_600_000,
      playersPerCardBlockAt: 3,
      cardsPerIpSignalAt: 5,
      cardsPerDeviceBlockAt: 5,
      addressDeclinePointsAt: 10,
    },
  });

  try {
    // warm up: the script gets loaded and the connection settles
    for (let i = 0; i < 200; i++) {
      await store.evaluate(request(i));
      await redis.client.ping();
    }
    const evaluate: number[] = [];
    const ping: number[] = [];
    let blocked = 0;
    for (let i = 0; i < calls; i++) {
      let started = performance.now();
      const result = await store.evaluate(request(i));
      evaluate.push(performance.now() - started);
      if (result.blocked) blocked++;
      started = performance.now();
      await redis.client.ping();
      ping.push(performance.now() - started);
    }
    const evaluateFigures = figures(evaluate);
    const pingFigures = figures(ping);
    return {
      redisUrl,
      evaluate: evaluateFigures,
      ping: pingFigures,
      addedOverPingMedianMs: Math.round((evaluateFigures.medianMs - pingFigures.medianMs) * 1000) / 1000,
      blocked,
    };
  } finally {
    const keys: string[] = [];
    for await (const batch of redis.client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 500) await redis.client.del(keys.slice(i, i + 500));
    await redis.close();
  }
}

/** Prints the figures as a small table. */
export function formatFraudBench(result: FraudBenchResult): string {
  const row = (name: string, f: LatencyFigures) =>
    `| ${name} | ${f.calls} | ${f.medianMs.toFixed(3)} | ${f.p99Ms.toFixed(3)} | ${f.meanMs.toFixed(3)} | ${f.maxMs.toFixed(3)} |`;
  return [
    `Fraud check against ${result.redisUrl} (sequential calls, ms)`,
    '',
    '| call | n | median | p99 | mean | max |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('evaluate (one EVALSHA of velocity-rules.lua)', result.evaluate),
    row('PING (round trip alone)', result.ping),
    '',
    `Added by the Lua work over a bare round trip (median): ${result.addedOverPingMedianMs.toFixed(3)} ms; decisions blocked during the run: ${result.blocked}.`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const calls = Number(process.argv[2] ?? 5000);
  benchFraud({ calls })
    .then((result) => console.log(formatFraudBench(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
