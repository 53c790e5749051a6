import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { dropRedisKeys } from './fixtures.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const VIEWER = '{ viewer { kind } }';

describe('API rate limit per credential and per IP', () => {
  const clock = new ManualClock();
  let app: TestApp;
  let ipSeq = 0;
  const freshIp = () => `192.0.2.${++ipSeq}`;

  beforeAll(async () => {
    app = await createTestApp({
      clock,
      env: {
        API_RATE_LIMIT_PER_CREDENTIAL: '3',
        API_RATE_LIMIT_PER_IP: '5',
        API_RATE_LIMIT_PERIOD: '1m',
        API_RATE_LIMIT_TRUST_PROXY: 'true',
      },
    });
  });
  afterAll(async () => {
    await dropRedisKeys(app);
    await app?.close();
  });

  const fromIp = (ip: string, token?: string) =>
    app.gql(VIEWER, {}, { token: token ?? null, headers: { 'x-forwarded-for': ip } });

  it('puts the IETF RateLimit-Policy and RateLimit fields on every response, counting down', async () => {
    const ip = freshIp();
    const first = await fromIp(ip);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"ip";q=5;w=60');
    expect(first.headers.get('ratelimit')).toBe('"ip";r=4;t=12');
    const second = await fromIp(ip);
    expect(second.headers.get('ratelimit')).toBe('"ip";r=3;t=24');
    // with a credential, both quotas are listed
    const withToken = await fromIp(freshIp(), app.config.secrets.operatorToken);
    expect(withToken.headers.get('ratelimit-policy')).toBe('"ip";q=5;w=60, "credential";q=3;w=60');
    expect(withToken.headers.get('ratelimit')).toBe('"ip";r=4;t=12, "credential";r=2;t=20');
    clock.advance(60_000);
  });

  it('answers the 6th request from one IP in a minute with 429, Retry-After and a RATE_LIMITED error, then lets it in again', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await fromIp(ip)).status).toBe(200);
    const refused = await fromIp(ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('12');
    expect(refused.headers.get('ratelimit')).toBe('"ip";r=0;t=60');
    expect(refused.headers.get('ratelimit-policy')).toBe('"ip";q=5;w=60');
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterSeconds: 12,
    });
    expect(refused.data).toBeUndefined();
    clock.advance(12_000 - 1);
    expect((await fromIp(ip)).status).toBe(429);
    clock.advance(1);
    expect((await fromIp(ip)).status).toBe(200);
    // another IP was never limited
    expect((await fromIp(freshIp())).status).toBe(200);
  });

  it('limits a credential across IPs, and other credentials not at all', async () => {
    const token = app.config.secrets.operatorToken;
    for (let i = 0; i < 3; i++) expect((await fromIp(freshIp(), token)).status).toBe(200);
    const refused = await fromIp(freshIp(), token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toContain('"credential";q=3;w=60');
    expect(refused.headers.get('ratelimit')).toContain('"credential";r=0;');
    expect(refused.headers.get('retry-after')).toBe('20');
    // an unknown token is a credential of its own (counted without a database lookup), so it is not refused for the operator's
    const other = await fromIp(freshIp(), 'op_not-the-operator-token-at-all-0000');
    expect(other.status).toBe(401);
    expect(other.headers.get('ratelimit')).toContain('"credential";r=2;');
  });

  it('refuses mutations too, before they run', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) await fromIp(ip);
    const mutation = await app.gql('mutation { logOut }', {}, { headers: { 'x-forwarded-for': ip } });
    expect(mutation.status).toBe(429);
    expect(mutation.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('takes the client IP from the last X-Forwarded-For entry (the one the trusted proxy added)', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) await fromIp(`203.0.113.${i}, ${ip}`);
    expect((await fromIp(ip)).status).toBe(429);
  });
});
