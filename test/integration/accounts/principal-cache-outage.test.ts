import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, logOut } from '../../../src/modules/accounts/index.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { signUpDeveloper } from '../catalog/flows.js';
import { freePort, PrivateRedis, waitFor } from '../../helpers/processes.js';
import { capturingLogger, countLookups, LOG_OUT, revocationHeard, whoIs } from './principal-cache-fixtures.js';

describe('principal cache while the revocation subscriber is down (private redis-server)', () => {
  let redis: PrivateRedis;
  let a: TestApp;
  let b: TestApp;
  const aLog = capturingLogger();

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`,
      REDIS_COMMAND_TIMEOUT: '300ms',
      WEBHOOK_DISPATCHER: 'off',
      BACKGROUND_JOBS: 'false',
    };
    [a, b] = await Promise.all([createTestApp({ env, logger: aLog.logger }), createTestApp({ env })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
  });

  it('clears and bypasses the cache while Redis is away, a revocation made meanwhile holds everywhere, and the cache works again after the reconnect', async () => {
    const first = await signUpDeveloper(a, 'outage');
    const second = await signUpDeveloper(a, 'after');
    expect(await whoIs(b, first.token)).toBe('DEVELOPER');
    let lookups = countLookups(b);
    expect(await whoIs(b, first.token)).toBe('DEVELOPER');
    expect(lookups.count).toBe(0); // from memory
    lookups.restore();

    await redis.kill();
    await waitFor(() => !a.deps.principalCache.active && !b.deps.principalCache.active, 3_000, 'both caches to stop');
    expect(b.deps.principalCache.size).toBe(0);

    // reads still work (rate limits fail open for them), each one asks Postgres
    lookups = countLookups(b);
    for (let i = 0; i < 3; i++) expect(await whoIs(b, first.token)).toBe('DEVELOPER');
    expect(lookups.count).toBe(3);
    lookups.restore();

    // Revoked on A while nobody can hear it: the revocation commits, the announcement fails with a
    // warning, and B refuses the token because it asks Postgres.
    const principal = await authenticate(a.deps, `Bearer ${first.token}`);
    expect(await logOut({ deps: a.deps, principal, requestId: 'outage', ip: null })).toBe(true);
    expect(aLog.lines().some((line) => String(line.msg).startsWith('could not announce a revocation'))).toBe(true);
    expect(await whoIs(b, first.token)).toBe('UNAUTHENTICATED');
    expect(await whoIs(a, first.token)).toBe('UNAUTHENTICATED');

    await redis.start();
    await waitFor(() => a.deps.principalCache.active && b.deps.principalCache.active, 5_000, 'both caches to resume');
    expect(await whoIs(b, first.token)).toBe('UNAUTHENTICATED');

    lookups = countLookups(b);
    for (let i = 0; i < 3; i++) expect(await whoIs(b, second.token)).toBe('DEVELOPER');
    expect(lookups.count).toBe(1); // cached again
    lookups.restore();

    // and the re-subscribed channel carries revocations again (once A's command connection is back too)
    await waitFor(() => a.deps.storeHealth.ping(), 5_000, "A's command connection to come back", 20);
    const before = b.deps.principalCache.generation;
    expect((await a.gql(LOG_OUT, {}, { token: second.token })).data.logOut).toBe(true);
    await revocationHeard(b, before);
    expect(await whoIs(b, second.token)).toBe('UNAUTHENTICATED');
  });
});
