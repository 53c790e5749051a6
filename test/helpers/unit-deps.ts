// Deps for the unit tier (`npm run test:unit`): every port on its in-process twin (memory stores, a
// ManualClock, a silent logger) and no database, acquirer or outbound HTTP at all: touching one of
// those throws, so a verb tested here shows it decided (refused the caller, refused the input)
// before it reached for Postgres or the network.
import pino from 'pino';
import { createMemoryHealth } from '../../src/adapters/memory/memory-health.js';
import { createMemoryIdempotencyStore } from '../../src/adapters/memory/memory-idempotency-store.js';
import { createMemoryPubSub } from '../../src/adapters/memory/memory-pubsub.js';
import { createMemoryRateLimiter } from '../../src/adapters/memory/memory-rate-limiter.js';
import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.js';
import { createMemoryApiThrottle } from '../../src/adapters/memory/memory-api-throttle.js';
import type { Deps, ServiceContext } from '../../src/modules/service-context.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { Principal } from '../../src/shared/principal.js';
import type { Settings } from '../../src/shared/settings.js';

/** A stand-in that throws on any use, naming what the unit test should not have touched. */
function untouchable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') return undefined; // not a thenable
      throw new Error(`a unit test reached for ${what} (.${String(property)}); the unit tier has none`);
    },
  });
}

export const UNIT_SETTINGS: Settings = {
  NODE_ENV: 'test',
  SESSION_TTL: 30 * 86_400_000,
  PURCHASE_CONFIRMATION_TTL: 15 * 60_000,
  PURCHASE_STOCK_HOLD: 3 * 60_000,
  PURCHASE_MAX_UNCONFIRMED: 5,
  RECOVERY_MAX_ATTEMPTS: 5,
  RECOVERY_INTERVAL: 5_000,
  RECOVERY_THRESHOLD: 30_000,
  IDEMPOTENCY_RETENTION: 86_400_000,
  IDEMPOTENCY_LOCK_TTL: 60_000,
  WEBHOOK_RETRY_SCHEDULE: [5_000],
  WEBHOOK_TIMEOUT: 10_000,
  WEBHOOK_POLL_INTERVAL: 2_000,
  WEBHOOK_SECRET_OVERLAP: 86_400_000,
  RECEIPT_TTL: 365 * 86_400_000,
  RISK_DAILY_CAPS: 'USD:50000',
  RISK_NEW_CARD_AMOUNTS: 'USD:10000',
  API_RATE_LIMIT_PER_CREDENTIAL: 1_200,
  API_RATE_LIMIT_PER_IP: 600,
  API_RATE_LIMIT_PERIOD: 60_000,
  API_RATE_LIMIT_TRUST_PROXY: false,
  sandbox: true,
  secrets: {
    tokenPepper: 'unit-pepper',
    cardFingerprintKey: 'unit-card-fingerprint-key',
    operatorToken: 'op_unit',
    webhookSecretKey: 'unit-webhook-secret-key',
    webhookSecretKeysPrevious: [],
    receiptSigningKeys: '[]',
  },
};

export function unitDeps(overrides: Partial<Deps> = {}): Deps & { clock: ManualClock } {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  // shared as the composition shares them: the idempotency store counts API limits with the lock
  const apiThrottle = createMemoryApiThrottle();
  return {
    config: UNIT_SETTINGS,
    db: untouchable('the database'),
    clock,
    logger: pino({ level: 'silent' }),
    rateLimiter: createMemoryRateLimiter(clock),
    idempotencyStore: createMemoryIdempotencyStore(clock, { apiThrottle }),
    pubsub: createMemoryPubSub(),
    principalCache: untouchable('the principal cache'),
    storeHealth: createMemoryHealth(),
    velocityStore: createMemoryVelocityStore({ apiThrottle }),
    acquirer: untouchable('the acquirer'),
    outboundHttp: untouchable('outbound HTTP'),
    ...overrides,
  } as Deps & { clock: ManualClock };
}

export function unitContext(principal: Principal, deps: Deps = unitDeps()): ServiceContext {
  return { deps, principal, requestId: 'unit', ip: null };
}
