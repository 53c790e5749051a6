import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from '../shared/clock.js';
import type { IdempotencyStore, PubSub, RateLimiter, StoreHealth } from '../shared/ports.js';
import { openRedisClients, tryConnectRedis } from '../adapters/redis/redis-client.js';
import { withReplayCache } from '../adapters/idempotency-replay-cache.js';
import { withEncryptedResponses } from '../adapters/encrypted-idempotency-store.js';
import { createRedisIdempotencyStore } from '../adapters/redis/redis-idempotency-store.js';
import { createRedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import { createRedisPubSub } from '../adapters/redis/redis-pubsub.js';
import { createMemoryIdempotencyStore } from '../adapters/memory/memory-idempotency-store.js';
import { createMemoryRateLimiter } from '../adapters/memory/memory-rate-limiter.js';
import { createMemoryPubSub } from '../adapters/memory/memory-pubsub.js';
import { createMemoryHealth } from '../adapters/memory/memory-health.js';
import type { RedisClients } from '../adapters/redis/redis-client.js';
import type { VelocityStore } from '../shared/velocity-port.js';
import { createRedisVelocityStore } from '../adapters/redis/redis-velocity-store.js';
import { createMemoryVelocityStore } from '../adapters/memory/memory-velocity-store.js';
import { createMemoryApiThrottle } from '../adapters/memory/memory-api-throttle.js';
import { redisTarget, traceRedisClients } from '../adapters/redis/traced-redis.js';

/** The shared store behind idempotency, limits and pub/sub: Redis, or the in-process twin. */
export interface Stores {
  readonly idempotencyStore: IdempotencyStore;
  readonly rateLimiter: RateLimiter;
  readonly pubsub: PubSub;
  readonly storeHealth: StoreHealth;
  /** Fraud velocity counters and API rate limits. */
  readonly velocityStore: VelocityStore;
  /** The Redis clients, when Redis is used (the fraud module registers its scripts on them). */
  readonly redis: RedisClients | null;
  close(): Promise<void>;
}

/**
 * The Redis Cluster at REDIS_CLUSTER_URLS when set; else Redis at REDIS_URL; only when neither was
 * set and nothing answers at the default URL, the in-process store (one instance only). A configured
 * Redis that is down is waited for, never replaced.
 */
export async function openStores(
  config: Config,
  clock: Clock,
  logger: Logger,
  options: { readonly trace?: boolean } = {},
): Promise<Stores> {
  const url = config.REDIS_URL as string;
  const clusterUrls = config.REDIS_CLUSTER_URLS;
  if (clusterUrls.length === 0 && !config.redisUrlWasSet && !(await tryConnectRedis(url, 500))) {
    logger.warn(
      'No Redis answers at redis://127.0.0.1:6379 and REDIS_URL is not set: using the in-process store. ' +
        'This is for a single instance only; set REDIS_URL to run several.',
    );
    // the API rate limits' counters, shared: the idempotency store counts them with the lock (one step)
    const apiThrottle = createMemoryApiThrottle();
    return {
      idempotencyStore: createMemoryIdempotencyStore(clock, { apiThrottle }),
      rateLimiter: createMemoryRateLimiter(clock),
      pubsub: createMemoryPubSub(logger),
      storeHealth: createMemoryHealth(),
      velocityStore: createMemoryVelocityStore({ apiThrottle }),
      redis: null,
      close: async () => {},
    };
  }
  const opened = openRedisClients({
    url,
    clusterUrls,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT,
    keyPrefix: config.REDIS_KEY_PREFIX,
    logger,
  });
  // a span per command inside a traced request (only when tracing is configured)
  const redis = options.trace ? traceRedisClients(opened, redisTarget(clusterUrls[0] ?? url)) : opened;
  await redis.connect(5_000);
  // Responses may carry credentials (createGame's keys, a session token): Redis only ever sees them sealed.
  const sealed = withEncryptedResponses(createRedisIdempotencyStore(redis), config.secrets.idempotencyEncryptionKeys);
  return {
    // completed responses never change: replays this instance has seen skip the Redis round trip
    idempotencyStore:
      config.IDEMPOTENCY_REPLAY_CACHE > 0
        ? withReplayCache(sealed, { maxEntries: config.IDEMPOTENCY_REPLAY_CACHE })
        : sealed,
    rateLimiter: createRedisRateLimiter(redis, clock),
    pubsub: createRedisPubSub(redis),
    storeHealth: redis.health,
    velocityStore: createRedisVelocityStore(redis),
    redis,
    close: () => redis.close(),
  };
}
