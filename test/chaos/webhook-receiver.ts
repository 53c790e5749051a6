import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WebhookVerificationError } from '../../src/sdk/verify-webhook.js';

/** A game server's webhook endpoint that fails now and then, verifies every signature and dedupes by webhook-id. */
export interface FlakyReceiver {
  readonly url: string;
  /** Event ids acted on after a valid signature, with how many times each came (at least once). */
  readonly delivered: Map<string, number>;
  /** Event types by id, from the verified bodies. */
  readonly types: Map<string, string>;
  /** Requests whose signature or body did not verify (each one is a bug). */
  readonly invalid: { id: string; reason: string }[];
  readonly stats: { requests: number; failed: number; slow: number; dropped: number };
  /** Probability of a failure per request (500, an answer after the sender's timeout, or a dropped socket). */
  failureRate: number;
  close(): Promise<void>;
}

export async function startFlakyReceiver(options: {
  secret: () => string;
  failureRate: number;
  slowMs: number;
}): Promise<FlakyReceiver> {
  const delivered = new Map<string, number>();
  const types = new Map<string, string>();
  const invalid: { id: string; reason: string }[] = [];
  const stats = { requests: 0, failed: 0, slow: 0, dropped: 0 };
  const receiver = { failureRate: options.failureRate };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      stats.requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      const roll = Math.random();
      if (roll < receiver.failureRate * 0.1) {
        // the connection dies before any answer: the sender cannot know whether it arrived
        stats.dropped += 1;
        req.socket.destroy();
        return;
      }
      if (roll >= receiver.failureRate * 0.25 && roll < receiver.failureRate) {
        stats.failed += 1;
        res.writeHead(500).end('receiver is down');
        return;
      }
      const reason = verify(body, req.headers, options.secret());
      if (reason) {
        invalid.push({ id, reason });
        res.writeHead(400).end(reason);
        return;
      }
      const event = JSON.parse(body) as { id?: string; type: string };
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      types.set(id, event.type);
      if (roll < receiver.failureRate * 0.25) {
        // Acts on the event but answers only after the sender's timeout, as a slow game server does: the sender
        // normally counts it failed and sends it again (deduped here by webhook-id), yet a sender whose timer
        // fires late on a busy machine may still read this 200, so the copy is recorded before answering.
        stats.slow += 1;
        // a real delay on purpose: a receiver slower than the sender's timeout is the case under test
        setTimeout(() => res.writeHead(200).end('late'), options.slowMs).unref();
        return;
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/webhooks/coinslot`,
    delivered,
    types,
    invalid,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Null when the request is a well-signed Coinslot event whose body id matches webhook-id; otherwise why not. */
function verify(body: string, headers: IncomingHttpHeaders, secret: string): string | null {
  try {
    const event = verifyWebhook({ payload: body, headers, secret });
    if (event.id !== headers['webhook-id'])
      return `body id ${event.id} is not webhook-id ${String(headers['webhook-id'])}`;
    return null;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return `${error.code}: ${error.message}`;
    return `unexpected: ${(error as Error).message}`;
  }
}
