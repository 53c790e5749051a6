import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../src/shared/clock.js';
import {
  enqueueEvent,
  notifyEvents,
  type DomainEventType,
  type EnqueuedEvent,
} from '../../../src/modules/webhooks/index.js';
import { createTestApp, uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { decodeId } from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';

/** One request as the receiver saw it: raw body and headers, and what it answered. */
export interface ReceivedRequest {
  readonly id: string;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  readonly answered: number;
  readonly at: number;
}

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Answers 500 to the next `n` requests. */
  failNext(n: number): void;
  /** Decides the status per request (overrides failNext while set). */
  answerWith(decide: ((request: { id: string; body: string }) => number) | null): void;
  close(): Promise<void>;
}

/** A game server's webhook endpoint on a free local port, failing the first `failFirst` requests with 500. */
export async function startReceiver(options: { failFirst?: number; delayMs?: number } = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let failures = options.failFirst ?? 0;
  let decide: ((request: { id: string; body: string }) => number) | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      let status = 200;
      if (decide) status = decide({ id, body });
      else if (failures > 0) {
        failures -= 1;
        status = 500;
      }
      requests.push({ id, body, headers: req.headers, answered: status, at: Date.now() });
      const reply = () =>
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'receiver is down');
      // a real delay on purpose: a slow receiver (the sender's timeout) is what such tests are about
      if (options.delayMs) setTimeout(reply, options.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/coinslot`,
    requests,
    failNext(n) {
      failures = n;
    },
    answerWith(fn) {
      decide = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A clock ahead of real time: the tests share the database with other test files whose instances
 * deliver by the real clock, so events dated in this clock's future are due only for this file's dispatchers.
 */
export function futureClock(): ManualClock {
  return new ManualClock(Date.now() + 400 * 86_400_000 + Math.floor(Math.random() * 86_400_000));
}

/** An instance whose built-in dispatcher is off: the test creates and ticks its own, scoped to its games. */
export function createWebhookTestApp(
  clock: ManualClock,
  options: { listen?: boolean; env?: Record<string, string> } = {},
): Promise<TestApp> {
  // No background jobs: with a clock 400 days ahead, their recovery would settle other test files' PROCESSING purchases.
  return createTestApp({
    clock,
    listen: options.listen,
    env: { WEBHOOK_DISPATCHER: 'off', BACKGROUND_JOBS: 'false', ...options.env },
  });
}

export interface TestGame {
  /** The game's raw uuid. */
  readonly gameId: string;
  /** The game's GraphQL global id. */
  readonly globalId: string;
  readonly developerToken: string;
  readonly secretKey: string;
  readonly webhookSecret: string;
}

const SIGN_UP = graphql(`
  mutation SignUpDeveloper($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token } ... on Error { code message } }
  }
`);
const CREATE_GAME = graphql(`
  mutation CreateGame($input: CreateGameInput!) {
    createGame(input: $input) {
      __typename
      ... on CreateGamePayload { game { id } secretKey webhookSecret }
      ... on Error { code message }
    }
  }
`);

/** A developer and a game with `webhookUrl`, made over GraphQL. */
export async function createGameWithWebhook(app: TestApp, webhookUrl: string | null): Promise<TestGame> {
  const signUp = await app.gql(SIGN_UP, {
    input: { email: uniqueEmail('hooks'), password: 'webhook password 1', name: 'Hook Studio' },
  });
  const developerToken = expectTypename(signUp.data.signUpDeveloper, 'DeveloperAuthPayload').token;
  const created = await app.gql(
    CREATE_GAME,
    { input: { name: 'Hooked', defaultCurrency: 'USD', ...(webhookUrl ? { webhookUrl } : {}) } },
    { token: developerToken },
  );
  const payload = created.data.createGame;
  if (payload.__typename !== 'CreateGamePayload') throw new Error(`createGame failed: ${JSON.stringify(payload)}`);
  const globalId = payload.game.id;
  const gameId = decodeId(globalId);
  return { gameId, globalId, developerToken, secretKey: payload.secretKey, webhookSecret: payload.webhookSecret };
}

/** Writes events in one transaction, as a domain change would, then wakes the dispatchers. */
export async function enqueue(
  app: TestApp,
  gameId: string,
  events: readonly { type?: DomainEventType; aggregateId: string; data?: Record<string, unknown> }[],
): Promise<EnqueuedEvent[]> {
  const written = await app.deps.db.transaction(async (tx) => {
    const out: EnqueuedEvent[] = [];
    for (const e of events) {
      out.push(
        await enqueueEvent(tx, {
          gameId,
          type: e.type ?? 'purchase.succeeded',
          aggregateId: e.aggregateId,
          data: e.data ?? { purchaseId: e.aggregateId },
          occurredAt: app.deps.clock.now(),
        }),
      );
    }
    return out;
  });
  await notifyEvents(app.deps, written);
  return written;
}

/** Reads an outbox row directly (what the dispatcher decided). */
export async function outboxRow(
  app: TestApp,
  eventId: string,
): Promise<{ status: string; attempts: number; next_attempt_at: Date | null; last_error: string | null }> {
  const result = await app.database.pool!.query(
    'select status, attempts, next_attempt_at, last_error from outbox_events where id = $1',
    [eventId],
  );
  return result.rows[0];
}
