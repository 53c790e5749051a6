import { randomBytes, randomUUID } from 'node:crypto';
import { developers, games, players } from '../../../src/db/schema/index.js';
import type { Deps, ServiceContext } from '../../../src/modules/service-context.js';
import type { Principal } from '../../../src/shared/principal.js';
import type { AssessPurchaseInput } from '../../../src/modules/fraud/index.js';
import type { TestApp } from '../../helpers/test-app.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A service context for `principal` on the app's dependencies. */
export function contextOf(
  deps: Deps,
  principal: Principal = { kind: 'anonymous' },
  ip: string | null = null,
): ServiceContext {
  return { deps, principal, requestId: randomUUID(), ip };
}

export const operator: Principal = { kind: 'operator' };

/** A player row of the test's own (the fraud tables only need it to exist). */
export async function newPlayer(deps: Deps): Promise<string> {
  const id = randomUUID();
  await deps.db
    .insert(players)
    .values({ id, email: `fraud-${id}@example.test`, displayName: 'Fraud Test', passwordHash: 'not-a-hash' });
  return id;
}

/** A developer and one game of theirs. */
export async function newGame(deps: Deps): Promise<{ gameId: string; developerId: string }> {
  const developerId = randomUUID();
  const gameId = randomUUID();
  await deps.db
    .insert(developers)
    .values({ id: developerId, email: `dev-${developerId}@example.test`, name: 'Dev', passwordHash: 'not-a-hash' });
  await deps.db
    .insert(games)
    .values({ id: gameId, developerId, name: `Game ${gameId.slice(0, 8)}`, defaultCurrency: 'USD' });
  return { gameId, developerId };
}

/** A card fingerprint as the cards module makes them (base64url HMAC), unique to the test. */
export function newFingerprint(): string {
  return randomBytes(32).toString('base64url');
}

/** A purchase to assess: a card added long ago and charged before, USD 1.00, no IP or device. */
export function purchaseOf(playerId: string, over: Partial<AssessPurchaseInput> = {}): AssessPurchaseInput {
  return {
    gameId: randomUUID(),
    playerId,
    purchaseId: randomUUID(),
    cardId: randomUUID(),
    cardFingerprint: null,
    cardAddedAt: null,
    amountMinor: 100,
    currency: 'USD',
    ip: null,
    deviceId: null,
    ...over,
  };
}

// The process helpers live in one place; re-exported for the fraud tests that import them from here.
export { freePort, PrivateRedis, waitFor } from '../../helpers/processes.js';

/** Removes the keys a test app wrote under its own prefix (never FLUSHDB a shared Redis). */
export async function dropRedisKeys(app: TestApp | undefined): Promise<void> {
  const redis = app?.stores.redis;
  if (!app || !redis?.client.isReady) return;
  const keys = await redis.scanKeys(`${app.config.REDIS_KEY_PREFIX}*`);
  // one by one on a cluster (the keys live in many slots); in batches on a single Redis
  for (let i = 0; i < keys.length; i += 500) await redis.client.del(keys.slice(i, i + 500));
}
