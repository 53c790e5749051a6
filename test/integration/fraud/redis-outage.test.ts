import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessCardAdd, assessPurchase, recordDecline } from '../../../src/modules/fraud/index.js';
import { ServiceUnavailableError } from '../../../src/shared/errors.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { contextOf, freePort, newFingerprint, newPlayer, PrivateRedis, purchaseOf, waitFor } from './fixtures.js';

/** The error `call` rejects with, and how long it took. */
async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

describe('fraud checks when Redis stops (a private redis-server, killed and restarted on the same port)', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  let player: string;
  const ctx = () => contextOf(app.deps);

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    app = await createTestApp({ env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '500ms' } });
    player = await newPlayer(app.deps);
  });
  afterAll(async () => {
    await app?.close();
    await redis?.kill();
  });

  it('assesses normally while Redis is up', async () => {
    expect((await assessPurchase(ctx(), purchaseOf(player, { cardFingerprint: newFingerprint() }))).decision).toBe(
      'ALLOW',
    );
    const query = await app.gql('{ viewer { kind } }');
    expect(query.headers.get('ratelimit-policy')).toBe('"ip";q=1200;w=60');
  });

  it('fails closed, fast, once Redis is killed: every fraud call throws ServiceUnavailableError (retryable)', async () => {
    await redis.kill();
    for (const call of [
      () => assessPurchase(ctx(), purchaseOf(player, { cardFingerprint: newFingerprint() })),
      () => assessCardAdd(ctx(), { playerId: player, fingerprint: newFingerprint(), ip: null, deviceId: null }),
      () => recordDecline(ctx(), { playerId: player }),
    ]) {
      const { error, ms } = await failure(call);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).retryable).toBe(true);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('lets reads through the API rate limit but refuses mutations with 503 while Redis is down', async () => {
    const query = await app.gql('{ viewer { kind } }');
    expect(query.status).toBe(200);
    expect(query.data).toEqual({ viewer: { kind: 'ANONYMOUS' } });
    expect(query.headers.get('ratelimit')).toBeNull();
    expect(query.headers.get('ratelimit-policy')).toBeNull();
    const mutation = await app.gql('mutation { logOut }');
    expect(mutation.status).toBe(503);
    expect(mutation.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    const ready = await app.app.fetch('http://coinslot.test/readyz');
    expect(ready.status).toBe(503);
  });

  it('works again with the same clients once Redis is back on the same port', async () => {
    await redis.start();
    await waitFor(() => app.stores.storeHealth.ping(), 5000, 'the clients to reconnect');
    expect((await assessPurchase(ctx(), purchaseOf(player, { cardFingerprint: newFingerprint() }))).decision).toBe(
      'ALLOW',
    );
    expect(
      (await assessCardAdd(ctx(), { playerId: player, fingerprint: newFingerprint(), ip: null, deviceId: null }))
        .decision,
    ).toBe('ALLOW');
    const query = await app.gql('{ viewer { kind } }');
    expect(query.headers.get('ratelimit')).toMatch(/^"ip";r=\d+;t=\d+$/);
    expect((await app.app.fetch('http://coinslot.test/readyz')).status).toBe(200);
  });
});
