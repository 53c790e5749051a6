import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import type { Clock } from '../shared/clock.js';
import type { Principal } from '../shared/principal.js';
import type { IdempotencyStore, PubSub, RateLimiter, StoreHealth } from '../shared/ports.js';
import type { VelocityStore } from '../shared/velocity-port.js';
import type { Acquirer } from '../shared/acquirer-port.js';
import type { PrincipalCache } from '../shared/principal-cache-port.js';
import type { Settings } from '../shared/settings.js';
import type { OutboundHttp } from '../shared/outbound-http-port.js';
import type { BusinessMetrics } from '../shared/metrics-port.js';

/** What the modules run on; built once by the composition root (src/composition/root.ts). */
export interface Deps {
  /** The configuration values modules read (src/shared/settings.ts), from the composition root. */
  readonly config: Settings;
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rateLimiter: RateLimiter;
  readonly idempotencyStore: IdempotencyStore;
  readonly pubsub: PubSub;
  /** Credentials this instance authenticated recently; revocations drop them on every instance. */
  readonly principalCache: PrincipalCache;
  readonly storeHealth: StoreHealth;
  /** Fraud velocity counters and API rate limits (Redis, or the in-process twin). */
  readonly velocityStore: VelocityStore;
  /** Verifies and charges cards (the sandbox acquirer over HTTP). */
  readonly acquirer: Acquirer;
  /** Every request to a developer-supplied URL (webhooks): internal destinations refused. */
  readonly outboundHttp: OutboundHttp;
  /** Business metrics (purchases, declines, webhooks…): modules count through this port. */
  readonly metrics: BusinessMetrics;
}

/** One request's view: the dependencies, who is calling, and where from. */
export interface ServiceContext {
  readonly deps: Deps;
  readonly principal: Principal;
  readonly requestId: string;
  /** The caller's IP address, for throttling; null when unknown. */
  readonly ip: string | null;
}
