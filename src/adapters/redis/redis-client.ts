import { EventEmitter } from 'node:events';
import { createClient, createCluster, ErrorReply } from 'redis';
import type { Logger } from '../../logger.js';
import { ServiceUnavailableError } from '../../shared/errors.js';
import type { StoreHealth } from '../../shared/ports.js';
import { redisScripts } from './redis-scripts.js';

export interface RedisClientsOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]` */
  readonly url: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_URLS); when given, `url` is ignored. */
  readonly clusterUrls?: readonly string[];
  /** Every adapter call fails with ServiceUnavailableError after this long (config REDIS_COMMAND_TIMEOUT). */
  readonly commandTimeoutMs: number;
  /** Prefix of every key and channel the adapters touch (config REDIS_KEY_PREFIX). */
  readonly keyPrefix: string;
  readonly logger: Logger;
  /** Cap of the reconnect backoff; Redis coming back is noticed within about this long. Default 1000 ms. */
  readonly maxReconnectDelayMs?: number;
}

/** The single-node command client, with Coinslot's Lua scripts registered. */
export type RedisCommandClient = ReturnType<typeof createCommandClient>;
type ClusterCommandClient = ReturnType<typeof createClusterClient>;

type Listener = (message: string) => void;

/**
 * What the adapters may call, on a single Redis and on a Redis Cluster alike: Coinslot's scripts
 * (each touching the keys of one hash tag) and a few commands.
 */
export interface RedisCommands {
  readonly isReady: boolean;
  velocityRules: RedisCommandClient['velocityRules'];
  apiRateLimit: RedisCommandClient['apiRateLimit'];
  idempotencyBegin: RedisCommandClient['idempotencyBegin'];
  /** A single Redis only (its keys are in several slots): the store never calls it on a cluster. */
  idempotencyBeginThrottled: RedisCommandClient['idempotencyBeginThrottled'];
  idempotencyComplete: RedisCommandClient['idempotencyComplete'];
  idempotencyRelease: RedisCommandClient['idempotencyRelease'];
  slidingWindow: RedisCommandClient['slidingWindow'];
  publish(channel: string, message: string): Promise<unknown>;
  /** Deletes keys; on a cluster one by one (they may live in different slots). */
  del(keys: string | string[]): Promise<unknown>;
  ping(): Promise<string>;
  /** A raw command with no key (PUBSUB NUMSUB…); on a cluster it goes to any node. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** The subscriber side: channel subscriptions and the connection's liveness events. */
export interface RedisSubscriber {
  readonly isReady: boolean;
  subscribe(channel: string, listener: Listener): Promise<unknown>;
  unsubscribe(channel: string, listener: Listener): Promise<unknown>;
  on(event: 'ready' | 'error' | 'reconnecting' | 'end', listener: (...args: unknown[]) => void): void;
  off(event: 'ready' | 'error' | 'reconnecting' | 'end', listener: (...args: unknown[]) => void): void;
}

export interface RedisClients {
  /** Commands and scripts. */
  readonly client: RedisCommands;
  /** A duplicate connection in subscriber mode (RESP2 forbids other commands on it). */
  readonly subscriber: RedisSubscriber;
  /** True on a Redis Cluster: a script's keys must share one hash tag, and several subjects take several calls. */
  readonly cluster: boolean;
  /** Every key matching a SCAN pattern (on a cluster, from every master): for tests and tools, not requests. */
  scanKeys(match: string): Promise<string[]>;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
  /** Answers whether the command connection works (for /readyz); never throws. */
  readonly health: StoreHealth;
  /**
   * Opens both connections. Resolves true once both are ready, false if they are not ready
   * within `waitMs`; either way they keep reconnecting in the background, and never rejects.
   */
  connect(waitMs?: number): Promise<boolean>;
  /** Closes both connections (pending commands get at most the command timeout). */
  close(): Promise<void>;
}

/** Redis replies that mean "the server cannot serve now", not "the request is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

/** Maps a node-redis failure to ServiceUnavailableError when it is the infrastructure's fault. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof ServiceUnavailableError) return error;
  // an error reply other than a transient one is a bug in a script or a call: surface it as is
  if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) return error;
  const unavailable = new ServiceUnavailableError();
  unavailable.cause = error;
  return unavailable;
}

/**
 * Runs one Redis operation within `timeoutMs`; connection loss, an offline client and timeouts become
 * ServiceUnavailableError. The deadline is ours because node-redis v5's command timeout stops once
 * a command is written: a Redis that hangs (or a half-open connection) would otherwise never answer.
 */
export async function redisCall<T>(operation: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisDeadlineError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([operation(), deadline]);
  } catch (error) {
    throw toStoreError(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Redis did not answer within the command timeout. */
export class RedisDeadlineError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
  }
}

function createCommandClient(options: RedisClientsOptions) {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  return createClient({
    url: options.url,
    scripts: redisScripts,
    // fail fast while disconnected instead of queueing commands until Redis returns
    disableOfflineQueue: true,
    // covers a command until it is written; redisCall() bounds the wait for the reply
    commandOptions: { timeout: options.commandTimeoutMs },
    maintNotifications: 'disabled',
    socket: {
      connectTimeout: Math.max(options.commandTimeoutMs, 1000),
      // retry forever with capped exponential backoff and jitter, so an outage heals without a restart
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 16), maxDelay) + Math.floor(Math.random() * 100),
    },
  });
}

/** The clients of a single Redis, with node-redis' full API (tests and tools use it to SCAN and inspect). */
export interface SingleRedisClients extends RedisClients {
  readonly client: RedisCommandClient;
  readonly subscriber: RedisCommandClient;
}

/** Creates the clients of a single Redis, or of a Redis Cluster when `clusterUrls` is given. */
export function openRedisClients(options: RedisClientsOptions): RedisClients {
  return options.clusterUrls && options.clusterUrls.length > 0
    ? createRedisClusterClients({ ...options, clusterUrls: options.clusterUrls })
    : createRedisClients(options);
}

function createClusterClient(options: RedisClientsOptions & { clusterUrls: readonly string[] }) {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const cluster = createCluster({
    rootNodes: options.clusterUrls.map((url) => ({ url })),
    scripts: redisScripts,
    commandOptions: { timeout: options.commandTimeoutMs },
    defaults: {
      disableOfflineQueue: true,
      maintNotifications: 'disabled',
      socket: {
        connectTimeout: Math.max(options.commandTimeoutMs, 1000),
        reconnectStrategy: (retries: number) =>
          Math.min(50 * 2 ** Math.min(retries, 16), maxDelay) + Math.floor(Math.random() * 100),
      },
    },
  });
  rediscoverOnNodeFailure(cluster, options.clusterUrls, maxDelay);
  return cluster;
}

/**
 * node-redis looks at the cluster's slots again only on a MOVED or ASK reply. A master that dies
 * sends neither: its client keeps reconnecting to the dead address and every command for its slots
 * fails, even after its replica took over, until the process restarts. So whenever a node's
 * connection fails, the slots are read again from the seed nodes (at most once per `everyMs` while it
 * keeps failing): once a replica is promoted, its slots go to it and the dead node's client is closed.
 */
function rediscoverOnNodeFailure(
  cluster: {
    readonly isOpen: boolean;
    // node-redis' slot map (public in its types): rediscover() reads CLUSTER SLOTS again
    readonly _slots: { rediscover(startWith: never): Promise<void> };
    on(event: 'node-error' | 'node-reconnecting', listener: () => void): unknown;
  },
  seeds: readonly string[],
  everyMs: number,
  afterEach: () => void = () => undefined,
): void {
  let last = 0;
  let running = false;
  const rediscover = () => {
    const now = Date.now();
    if (running || now - last < everyMs || !cluster.isOpen) return;
    last = now;
    running = true;
    // rediscover() starts with the given client's options and falls back to every seed node
    const seed = { options: { url: seeds[Math.floor(Math.random() * seeds.length)] } };
    cluster._slots
      .rediscover(seed as never)
      .catch(() => undefined) // no seed answered: the next failure tries again
      .finally(() => {
        running = false;
        afterEach();
      });
  };
  cluster.on('node-error', rediscover);
  cluster.on('node-reconnecting', rediscover);
}

/**
 * The clients of a Redis Cluster (node-redis createCluster): commands go to the master of their key's
 * slot and follow MOVED/ASK redirections while slots move or a replica takes over; Coinslot's scripts
 * keep every key of a call in one slot (hash tags). Pub/sub is sharded (SPUBLISH/SSUBSCRIBE, Redis 7):
 * a channel lives on its slot's master, so its messages arrive in the order they were published. Classic
 * PUBLISH would go out through any node and reach the subscriber over the cluster bus from several
 * masters, which reorders messages of one channel (seen under load: a purchase's "settled" before its
 * "processing").
 */
export function createRedisClusterClients(
  options: RedisClientsOptions & { clusterUrls: readonly string[] },
): RedisClients {
  const { logger } = options;
  const cluster = createClusterClient(options);
  const subscriberCluster = cluster.duplicate();
  let down = false;
  cluster.on('error', (error: unknown) => {
    if (!down) logger.error({ err: error instanceof Error ? error.message : String(error) }, 'Redis Cluster failed');
    down = true;
  });
  cluster.on('node-error', (error: unknown, node: unknown) => {
    logger.warn({ err: error instanceof Error ? error.message : String(error), node }, 'A Redis Cluster node failed');
  });
  const scripts = cluster as unknown as Pick<
    RedisCommandClient,
    | 'velocityRules'
    | 'apiRateLimit'
    | 'idempotencyBegin'
    | 'idempotencyBeginThrottled'
    | 'idempotencyComplete'
    | 'idempotencyRelease'
    | 'slidingWindow'
  >;
  const client: RedisCommands = {
    get isReady() {
      return cluster.isOpen && cluster.masters.length > 0;
    },
    velocityRules: (...args) => scripts.velocityRules(...args),
    apiRateLimit: (...args) => scripts.apiRateLimit(...args),
    idempotencyBegin: (...args) => scripts.idempotencyBegin(...args),
    idempotencyBeginThrottled: (...args) => scripts.idempotencyBeginThrottled(...args),
    idempotencyComplete: (...args) => scripts.idempotencyComplete(...args),
    idempotencyRelease: (...args) => scripts.idempotencyRelease(...args),
    slidingWindow: (...args) => scripts.slidingWindow(...args),
    publish: (channel, message) => cluster.sPublish(channel, message),
    del: async (keys) => Promise.all((Array.isArray(keys) ? keys : [keys]).map((key) => cluster.del(key))),
    ping: async () => String(await cluster.sendCommand(undefined, true, ['PING'])),
    sendCommand: (args) => cluster.sendCommand(undefined, true, args),
  };
  const subscriber = clusterSubscriber(subscriberCluster, options.clusterUrls, options.maxReconnectDelayMs ?? 1000);
  let connecting: Promise<unknown> | undefined;
  return {
    client,
    subscriber,
    cluster: true,
    async scanKeys(match) {
      const keys: string[] = [];
      for (const master of cluster.masters) {
        const node = await cluster.nodeClient(master);
        for await (const batch of node.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...batch);
      }
      return keys;
    },
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.commandTimeoutMs,
    logger,
    health: {
      kind: 'redis',
      async ping() {
        try {
          return (await redisCall(() => client.ping(), options.commandTimeoutMs)) === 'PONG';
        } catch {
          return false;
        }
      },
    },
    async connect(waitMs = 5000) {
      connecting ??= Promise.all([
        cluster
          .connect()
          .catch((error: unknown) => logger.warn({ err: String(error) }, 'Redis Cluster connect failed')),
        subscriberCluster.connect().catch(() => undefined),
      ]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
      const ready = client.isReady && subscriber.isReady;
      if (!ready) logger.warn('Redis Cluster is not reachable yet');
      return ready;
    },
    async close() {
      for (const c of [cluster, subscriberCluster]) {
        try {
          if (c.isOpen) c.destroy();
        } catch {
          // already closed
        }
      }
    },
  };
}

/**
 * The cluster's subscriber as RedisSubscriber: liveness from its nodes' events. A master that dies
 * takes its sharded subscriptions with it: once a rediscovery finds its slots on the promoted replica,
 * node-redis closes the dead node's pub/sub client and subscribes nothing on the new master. So after
 * each rediscovery every channel whose master's pub/sub client lacks one of our listeners is
 * subscribed again (the liveness events have already told the pub/sub adapter messages were lost).
 */
function clusterSubscriber(cluster: ClusterCommandClient, seeds: readonly string[], everyMs: number): RedisSubscriber {
  const events = new EventEmitter();
  const held = new Map<string, Set<Listener>>();
  let restoring = false;
  const restore = () => {
    if (restoring) return;
    restoring = true;
    void (async () => {
      for (const [channel, listeners] of held) {
        try {
          const client = await cluster._slots.getShardedPubSubClient(channel);
          const present = client.getPubSubListeners('SHARDED').get(channel)?.strings;
          for (const listener of listeners) {
            if (!present?.has(listener as never)) await cluster.sSubscribe(channel, listener);
          }
        } catch {
          // its master is not reachable yet: the next failure's rediscovery tries again
        }
      }
    })().finally(() => {
      restoring = false;
    });
  };
  rediscoverOnNodeFailure(cluster, seeds, everyMs, restore);
  // an 'error' nobody listens to would be thrown (the pub/sub adapter listens only while someone watches)
  const failed = (error: unknown) => void (events.listenerCount('error') > 0 && events.emit('error', error));
  cluster.on('node-ready', () => events.emit('ready'));
  cluster.on('node-error', failed);
  cluster.on('node-reconnecting', () => events.emit('reconnecting'));
  cluster.on('error', failed);
  return {
    get isReady() {
      return cluster.isOpen;
    },
    subscribe: async (channel, listener) => {
      await cluster.sSubscribe(channel, listener);
      let listeners = held.get(channel);
      if (!listeners) held.set(channel, (listeners = new Set()));
      listeners.add(listener);
    },
    unsubscribe: async (channel, listener) => {
      const listeners = held.get(channel);
      listeners?.delete(listener);
      if (listeners?.size === 0) held.delete(channel);
      await cluster.sUnsubscribe(channel, listener);
    },
    on: (event, listener) => void events.on(event, listener),
    off: (event, listener) => void events.off(event, listener),
  };
}

/** Creates the command and subscriber clients (not yet connected) with timeouts, fail-fast and reconnects. */
export function createRedisClients(options: RedisClientsOptions): SingleRedisClients {
  const { logger } = options;
  const client = createCommandClient(options);
  const subscriber = client.duplicate();
  watch(client, 'command', logger, () => {
    // Redis forgets scripts on restart; load them again so the first call after an outage is one round trip
    for (const script of Object.values(redisScripts)) {
      client.scriptLoad(script.SCRIPT).catch(() => undefined);
    }
  });
  watch(subscriber, 'subscriber', logger);

  let connecting: Promise<unknown> | undefined;
  const health: StoreHealth = {
    kind: 'redis',
    async ping() {
      if (!client.isReady) return false;
      try {
        return (await redisCall(() => client.ping(), options.commandTimeoutMs)) === 'PONG';
      } catch {
        return false;
      }
    },
  };

  return {
    client,
    subscriber,
    cluster: false,
    async scanKeys(match) {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...batch);
      return keys;
    },
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.commandTimeoutMs,
    logger,
    health,
    async connect(waitMs = 5000) {
      // node-redis' connect() settles on the first ready (or on close); reconnects continue regardless
      connecting ??= Promise.all([
        client.connect().catch(() => undefined),
        subscriber.connect().catch(() => undefined),
      ]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
      const ready = client.isReady && subscriber.isReady;
      if (!ready)
        logger.warn({ url: redactUrl(options.url) }, 'Redis is not reachable yet; retrying in the background');
      return ready;
    },
    async close() {
      await Promise.all([closeClient(client, options.commandTimeoutMs), closeClient(subscriber, 0)]);
    },
  };
}

/** Logs the first error of an outage and the recovery, and keeps 'error' events from crashing the process. */
function watch(client: RedisCommandClient, role: string, logger: Logger, onReady?: () => void): void {
  let down = false;
  client.on('error', (error: unknown) => {
    const message = error instanceof Error ? error.message || error.name : String(error);
    if (!down) logger.error({ role, err: message }, 'Redis connection failed; reconnecting');
    else logger.debug({ role, err: message }, 'Redis still unreachable');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ role }, 'Redis connection restored');
    down = false;
    onReady?.();
  });
}

/** Waits for pending commands up to `graceMs`, then drops the socket; closing twice is harmless. */
async function closeClient(client: RedisCommandClient, graceMs: number): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady && graceMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.close().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
  }
  if (client.isOpen) {
    try {
      client.destroy();
    } catch {
      // already closed
    }
  }
}

/** Whether a Redis answers PING at `url` within `timeoutMs`; main.ts uses it to choose the in-process fallback. */
export async function tryConnectRedis(url: string, timeoutMs: number): Promise<boolean> {
  const probe = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs },
    maintNotifications: 'disabled',
    socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
  });
  probe.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    const attempt = (async () => {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    })();
    const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    return await Promise.race([attempt.catch(() => false), deadline]);
  } finally {
    clearTimeout(timer);
    if (probe.isOpen) {
      try {
        probe.destroy();
      } catch {
        // already closed
      }
    }
  }
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}
