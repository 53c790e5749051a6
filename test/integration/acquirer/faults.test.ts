import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AcquirerUnavailableError } from '../../../src/shared/acquirer-port.js';
import { createHttpAcquirer, type HttpAcquirer } from '../../../src/adapters/acquirer/http-acquirer.js';
import { key, startAcquirer, type AcquirerHarness } from './harness.js';
import { waitFor } from '../../helpers/processes.js';

// Clients make 3 attempts, so a fault armed for 3 requests outlasts every retry. `fast` times out after
// 1.5 s, for the faults that hold a request longer; the default client (5 s) leaves room for a busy machine.
let h: AcquirerHarness;
let fast: HttpAcquirer;
let token: string;
beforeAll(async () => {
  h = await startAcquirer({}, { maxAttempts: 3, backoffMs: 5 });
  fast = h.newClient({ timeoutMs: 1_500 });
  token = await h.token('4242424242424242');
});
afterEach(async () => {
  await h.raw('DELETE', '/v1/test/faults');
});
afterAll(async () => {
  await h?.close();
});

const chargeOf = (idempotencyKey: string, client: HttpAcquirer = h.client) =>
  client.charge({ token, amountMinor: 4_200, currency: 'USD', idempotencyKey });
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

describe('fault injection through the HTTP client', () => {
  it('timeout after the charge: outcome unknown, then the lookup finds the one charge', async () => {
    await h.fault({ mode: 'timeout_after_charge', ms: 20_000, path: '/v1/charges' });
    const idempotencyKey = key();
    const started = Date.now();
    const error = await failureOf(chargeOf(idempotencyKey, fast));
    expect(error).toBeInstanceOf(AcquirerUnavailableError);
    expect(error).toMatchObject({ outcomeUnknown: true, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000);
    const found = await fast.lookupCharge(idempotencyKey);
    expect(found).toMatchObject({ status: 'approved', amountMinor: 4_200, idempotencyKey });
    // Repeating the charge with its key returns the same charge instead of a second one.
    expect((await chargeOf(idempotencyKey)).chargeId).toBe(found?.chargeId);
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('error before the charge: outcome known, nothing charged, the lookup returns null and a later charge works', async () => {
    await h.fault({ mode: 'error_before_charge', count: 3, path: '/v1/charges' });
    const idempotencyKey = key();
    const error = await failureOf(chargeOf(idempotencyKey));
    expect(error).toBeInstanceOf(AcquirerUnavailableError);
    expect(error).toMatchObject({ outcomeUnknown: false, httpStatus: 503 });
    expect(await h.client.lookupCharge(idempotencyKey)).toBeNull();
    expect(await h.chargeRows(idempotencyKey)).toBe(0);
    expect((await chargeOf(idempotencyKey)).status).toBe('approved');
  });

  it('retries a single error before the charge transparently', async () => {
    await h.fault({ mode: 'error_before_charge', count: 1, path: '/v1/charges' });
    const idempotencyKey = key();
    expect((await chargeOf(idempotencyKey)).status).toBe('approved');
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('error after the charge: outcome unknown, the lookup finds exactly one charge', async () => {
    await h.fault({ mode: 'error_after_charge', count: 3, path: '/v1/charges' });
    const idempotencyKey = key();
    const error = await failureOf(chargeOf(idempotencyKey));
    expect(error).toMatchObject({ outcomeUnknown: true, httpStatus: 500 });
    expect(await h.client.lookupCharge(idempotencyKey)).toMatchObject({ status: 'approved' });
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('a single error after the charge is retried into the stored answer, not a second charge', async () => {
    await h.fault({ mode: 'error_after_charge', count: 1, path: '/v1/charges' });
    const idempotencyKey = key();
    expect((await chargeOf(idempotencyKey)).status).toBe('approved');
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('dropped connection after the charge: outcome unknown, the lookup finds it', async () => {
    await h.fault({ mode: 'drop_connection', count: 3, path: '/v1/charges' });
    const idempotencyKey = key();
    const error = await failureOf(chargeOf(idempotencyKey, fast));
    expect(error).toBeInstanceOf(AcquirerUnavailableError);
    expect((error as AcquirerUnavailableError).outcomeUnknown).toBe(true);
    expect((error as AcquirerUnavailableError).httpStatus).toBeNull();
    expect(await fast.lookupCharge(idempotencyKey)).toMatchObject({ status: 'approved' });
    expect(await h.chargeRows(idempotencyKey)).toBe(1);
  });

  it('dropped connection before the charge: outcome unknown to the client, yet the lookup proves nothing was charged', async () => {
    await h.fault({ mode: 'drop_connection', phase: 'before', count: 3, path: '/v1/charges' });
    const idempotencyKey = key();
    const error = await failureOf(chargeOf(idempotencyKey, fast));
    expect(error).toMatchObject({ outcomeUnknown: true });
    expect(await fast.lookupCharge(idempotencyKey)).toBeNull();
  });

  it('latency below the client timeout only slows the call', async () => {
    await h.fault({ mode: 'latency', ms: 250, path: '/v1/charges' });
    const started = Date.now();
    expect((await chargeOf(key())).status).toBe('approved');
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('latency past the client timeout: the late request is refused at its deadline, so the lookup null is final', async () => {
    await h.fault({ mode: 'latency', ms: 3_000, path: '/v1/charges' });
    const idempotencyKey = key();
    const logged = h.logs.length;
    const error = await failureOf(chargeOf(idempotencyKey, fast));
    expect(error).toMatchObject({ outcomeUnknown: true, code: 'timeout' });
    expect(await fast.lookupCharge(idempotencyKey)).toBeNull();
    // The late request, woken when its client left, made no charge even afterwards: wait until the
    // acquirer has answered it (its request log line), then look.
    await waitFor(
      () =>
        h.logs
          .slice(logged)
          .some(
            (line) =>
              line.includes('"acquirer request"') &&
              line.includes('"method":"POST"') &&
              line.includes('"path":"/v1/charges"'),
          ),
      5_000,
      'the acquirer to finish the late charge request',
    );
    expect(await h.chargeRows(idempotencyKey)).toBe(0);
  });

  it('retries lookups through transient errors', async () => {
    const idempotencyKey = key();
    await chargeOf(idempotencyKey);
    await h.fault({ mode: 'error_after_charge', count: 2, method: 'GET', path: '/v1/charges' });
    expect(await h.client.lookupCharge(idempotencyKey)).toMatchObject({ status: 'approved' });
  });

  it('applies a fault given in request headers to that request only', async () => {
    const response = await h.raw('POST', '/v1/charges', {
      body: { token, amountMinor: 1, currency: 'USD' },
      headers: { 'idempotency-key': key(), 'acquirer-fault': 'error_before_charge' },
    });
    expect(response.status).toBe(503);
    expect(response.json.error).toMatchObject({ code: 'injected_fault', outcome: 'none', retryable: true });
  });

  it('an answer trickling past the client timeout times the attempt out: outcome unknown, not retried', async () => {
    // Headers at once, then a byte every 100 ms: no single read waits long, so only a bound on the whole
    // attempt (sending to the last byte of the answer) ends it.
    let requests = 0;
    const trickle = createHttpServer((req, res) => {
      requests += 1;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => res.write(' '), 100);
      const stop = setTimeout(() => res.end('{}'), 20_000);
      res.on('close', () => {
        clearInterval(drip);
        clearTimeout(stop);
      });
    });
    await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve));
    const { port } = trickle.address() as { port: number };
    const client = createHttpAcquirer({
      baseUrl: `http://127.0.0.1:${port}`,
      secret: h.secret,
      timeoutMs: 800,
      maxAttempts: 3,
      backoffMs: 1,
    });
    try {
      const started = Date.now();
      const error = await failureOf(client.charge({ token, amountMinor: 1, currency: 'USD', idempotencyKey: key() }));
      expect(error).toBeInstanceOf(AcquirerUnavailableError);
      expect(error).toMatchObject({ outcomeUnknown: true, code: 'timeout' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(requests).toBe(1);
    } finally {
      await client.close();
      trickle.closeAllConnections();
      await new Promise((resolve) => trickle.close(resolve));
    }
  }, 30_000);

  it('reports a refused connection as unavailable with the outcome known', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const client = createHttpAcquirer({
      baseUrl: `http://127.0.0.1:${port}`,
      secret: h.secret,
      timeoutMs: 2_000,
      maxAttempts: 2,
      backoffMs: 1,
    });
    const error = await failureOf(client.charge({ token, amountMinor: 1, currency: 'USD', idempotencyKey: key() }));
    expect(error).toMatchObject({ outcomeUnknown: false, code: 'ECONNREFUSED' });
    await client.close();
  });
});

describe('fault injection outside test mode', () => {
  it('has no control endpoint and ignores fault headers', async () => {
    const live = await startAcquirer({ testMode: false });
    try {
      const control = await live.raw('POST', '/v1/test/faults', { body: { mode: 'error_before_charge' } });
      expect(control.status).toBe(404);
      const liveToken = await live.token('4242424242424242');
      const response = await live.raw('POST', '/v1/charges', {
        body: { token: liveToken, amountMinor: 1, currency: 'USD' },
        headers: { 'idempotency-key': key(), 'acquirer-fault': 'error_before_charge' },
      });
      expect(response.status).toBe(201);
    } finally {
      await live.close();
    }
  });
});
