import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquirerRejectedError, type Dispute } from '../../../src/shared/acquirer-port.js';
import { signWebhook } from '../../../src/acquirer/crypto.js';
import { key, startAcquirer, type AcquirerHarness } from './harness.js';
import { waitForValue } from '../../helpers/processes.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
}

/** A platform endpoint that records every callback; it can fail the first ones. */
async function receiver(failFirst = 0): Promise<{ url: string; calls: Received[]; server: Server }> {
  const calls: Received[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    let rawBody = '';
    req.on('data', (chunk) => (rawBody += chunk));
    req.on('end', () => {
      calls.push({ headers: req.headers, rawBody });
      if (failures > 0) {
        failures -= 1;
        res.writeHead(500).end();
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/acquirer/disputes`, calls, server };
}

/** The probe's first value (not undefined), polled every 25 ms (the shared waitForValue). */
function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 5_000): Promise<T> {
  return waitForValue(probe, ms, 'the condition of this step', 25);
}

const forKey = (calls: Received[], chargeKey: string) =>
  calls.filter((c) => c.rawBody.includes(`"chargeIdempotencyKey":${JSON.stringify(chargeKey)}`));

let h: AcquirerHarness;
let endpoint: Awaited<ReturnType<typeof receiver>>;
let flaky: Awaited<ReturnType<typeof receiver>>;
let disputeToken: string;
beforeAll(async () => {
  h = await startAcquirer({ disputeDelayMs: 300, sweepIntervalMs: 50 });
  endpoint = await receiver();
  flaky = await receiver(1);
  await h.client.registerDisputeCallback(endpoint.url);
  await h.client.registerDisputeCallback(endpoint.url);
  disputeToken = await h.token('4000000000000259');
});
afterAll(async () => {
  for (const url of [endpoint?.url, flaky?.url]) {
    if (!url) continue;
    const registered = await h.raw('POST', '/v1/webhook_endpoints', { body: { url } });
    await h.raw('DELETE', `/v1/webhook_endpoints/${registered.json.id}`);
  }
  await h?.close();
  endpoint?.server.close();
  flaky?.server.close();
});

describe('disputes', () => {
  it('raises a dispute for the dispute card after the delay, posts it signed, and lists it', async () => {
    const since = new Date(Date.now() - 1_000);
    const chargeKey = key('disputed');
    const charge = await h.client.charge({
      token: disputeToken,
      amountMinor: 1_500,
      currency: 'GBP',
      idempotencyKey: chargeKey,
    });
    expect(charge.status).toBe('approved');
    const chargedAt = Date.now();

    const [call] = await until(() =>
      forKey(endpoint.calls, chargeKey).length > 0 ? forKey(endpoint.calls, chargeKey) : undefined,
    );
    expect(Date.now() - chargedAt).toBeGreaterThanOrEqual(250);
    const dispute = h.client.parseDisputeCallback({ headers: call!.headers, rawBody: call!.rawBody });
    expect(dispute).toMatchObject({
      chargeId: charge.chargeId,
      chargeIdempotencyKey: chargeKey,
      amountMinor: 1_500,
      currency: 'GBP',
      status: 'needs_response',
    });
    expect(dispute.disputeId).toMatch(/^dp_/);
    expect(dispute.createdAt).toBeInstanceOf(Date);
    // Registered twice, the URL is one endpoint: one delivery.
    expect(forKey(endpoint.calls, chargeKey)).toHaveLength(1);

    const listed = await h.client.listDisputes({ since });
    expect(listed.find((d) => d.disputeId === dispute.disputeId)).toEqual(dispute);
    const later = await h.client.listDisputes({ since: new Date(dispute.createdAt.getTime() + 1) });
    expect(later.find((d) => d.disputeId === dispute.disputeId)).toBeUndefined();
  });

  it('does not dispute other cards, nor a dispute-card charge voided in time', async () => {
    const since = new Date(Date.now() - 1_000);
    const plainKey = key('plain');
    const plainToken = await h.token('4242424242424242');
    const plain = await h.client.charge({
      token: plainToken,
      amountMinor: 100,
      currency: 'USD',
      idempotencyKey: plainKey,
    });
    const voidedKey = key('voided');
    const voided = await h.client.charge({
      token: disputeToken,
      amountMinor: 100,
      currency: 'USD',
      idempotencyKey: voidedKey,
    });
    await h.client.voidCharge({ chargeId: voided.chargeId, idempotencyKey: key('void') });
    const witnessKey = key('witness');
    await h.client.charge({ token: disputeToken, amountMinor: 100, currency: 'USD', idempotencyKey: witnessKey });
    await until(() => (forKey(endpoint.calls, witnessKey).length > 0 ? true : undefined));
    const disputed = new Set((await h.client.listDisputes({ since, limit: 1000 })).map((d) => d.chargeId));
    expect(disputed.has(plain.chargeId)).toBe(false);
    expect(disputed.has(voided.chargeId)).toBe(false);
    expect(forKey(endpoint.calls, plainKey)).toHaveLength(0);
    expect(forKey(endpoint.calls, voidedKey)).toHaveLength(0);
  });

  it('retries a callback the platform failed, with the same webhook id', async () => {
    await h.client.registerDisputeCallback(flaky.url);
    const chargeKey = key('retried');
    await h.client.charge({ token: disputeToken, amountMinor: 250, currency: 'USD', idempotencyKey: chargeKey });
    const calls = await until(
      () => (forKey(flaky.calls, chargeKey).length >= 2 ? forKey(flaky.calls, chargeKey) : undefined),
      6_000,
    );
    expect(calls[0]!.headers['webhook-id']).toBe(calls[1]!.headers['webhook-id']);
    expect(
      h.client.parseDisputeCallback({ headers: calls[1]!.headers, rawBody: calls[1]!.rawBody }).chargeIdempotencyKey,
    ).toBe(chargeKey);
  });

  it('refuses forged, tampered or stale callbacks', async () => {
    const chargeKey = key('forged');
    await h.client.charge({ token: disputeToken, amountMinor: 300, currency: 'USD', idempotencyKey: chargeKey });
    const [call] = await until(() =>
      forKey(endpoint.calls, chargeKey).length > 0 ? forKey(endpoint.calls, chargeKey) : undefined,
    );
    const good = call!;
    const refused = (headers: IncomingHttpHeaders, rawBody: string) => {
      try {
        h.client.parseDisputeCallback({ headers, rawBody });
        return null;
      } catch (error) {
        return error;
      }
    };
    expect(refused(good.headers, good.rawBody)).toBeNull();
    expect(refused(good.headers, good.rawBody.replace('"amountMinor":300', '"amountMinor":3'))).toBeInstanceOf(
      AcquirerRejectedError,
    );
    const id = String(good.headers['webhook-id']);
    const stale = Math.floor(Date.now() / 1000) - 3_600;
    expect(
      refused(
        {
          ...good.headers,
          'webhook-timestamp': String(stale),
          'webhook-signature': signWebhook(h.secret, id, stale, good.rawBody),
        },
        good.rawBody,
      ),
    ).toBeInstanceOf(AcquirerRejectedError);
    const now = Math.floor(Date.now() / 1000);
    expect(
      refused(
        {
          ...good.headers,
          'webhook-timestamp': String(now),
          'webhook-signature': signWebhook('another-secret', id, now, good.rawBody),
        },
        good.rawBody,
      ),
    ).toBeInstanceOf(AcquirerRejectedError);
    expect(refused({}, good.rawBody)).toBeInstanceOf(AcquirerRejectedError);
    // A fresh, correctly signed callback is accepted: the check is the signature, not the delivery.
    const parsed: Dispute = h.client.parseDisputeCallback({
      headers: {
        'webhook-id': id,
        'webhook-timestamp': String(now),
        'webhook-signature': signWebhook(h.secret, id, now, good.rawBody),
      },
      rawBody: good.rawBody,
    });
    expect(parsed.chargeIdempotencyKey).toBe(chargeKey);
  });
});
