// OpenTelemetry traces end to end (issue 20): Coinslot started with OTEL_EXPORTER_OTLP_ENDPOINT pointing
// at an OTLP/HTTP receiver on loopback exports, for a one-tap purchase sent with a game server's
// traceparent, one trace that continues the game server's: the GraphQL operation's span with the
// Postgres, Redis and acquirer calls under it, no bind value, card number or secret in any attribute,
// and the log lines written inside the request carrying its trace id.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { createHttpAcquirer } from '../../../src/adapters/acquirer/http-acquirer.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { expectTypename } from '../../helpers/graphql.js';
import { buyTyped, randomApprovedCard, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { waitFor } from '../../helpers/processes.js';
import { testDatabaseUrl } from '../../helpers/env.js';

interface Received {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** A tiny OTLP/HTTP receiver: keeps every export request, answers 200. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      });
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json' });
      response.end(request.headers['content-type']?.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, string | number | boolean>;
}

const SERVER = 2;
const CLIENT = 3;

/** OTLP/JSON ids are hex (the spec) or base64 (older encoders): hex either way. */
const hexId = (id: unknown): string =>
  typeof id !== 'string' || id === '' ? '' : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');

function spansOf(received: readonly Received[]): { spans: ExportedSpan[]; services: string[] } {
  const spans: ExportedSpan[] = [];
  const services: string[] = [];
  for (const request of received) {
    const body = JSON.parse(request.body.toString('utf8'));
    for (const resourceSpans of body.resourceSpans ?? []) {
      for (const attribute of resourceSpans.resource?.attributes ?? []) {
        if (attribute.key === 'service.name') services.push(attribute.value.stringValue);
      }
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          const attributes: Record<string, string | number | boolean> = {};
          for (const { key, value } of span.attributes ?? []) {
            attributes[key] = value.stringValue ?? Number(value.intValue ?? value.doubleValue) ?? value.boolValue;
            if (value.boolValue !== undefined) attributes[key] = value.boolValue;
          }
          spans.push({
            traceId: hexId(span.traceId),
            spanId: hexId(span.spanId),
            parentSpanId: hexId(span.parentSpanId),
            name: span.name,
            kind: span.kind,
            attributes,
          });
        }
      }
    }
  }
  return { spans, services };
}

describe('traces over OTLP/HTTP (JSON)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let app: TestApp;
  let game: GameSetup;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk, _encoding, done) {
          logs.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    app = await createTestApp({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      logger,
    });
    game = await setUpGame(app);
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  it('continues the caller’s trace: the operation’s span with its Postgres, Redis and acquirer calls', async () => {
    expect(app.tracing.enabled).toBe(true);
    const card = randomApprovedCard();
    const buyer = await setUpPlayer(app, game, { card });
    // a card typed inline in a document (not a variable): the document is never put on a span
    const inlineCard = randomApprovedCard();
    const inline = await app.gql(
      `mutation { addCard(input: { number: "${inlineCard}", expMonth: 11, expYear: 2041, cvc: "987", holderName: "Inline Card" }) { __typename } }`,
      {},
      { token: buyer.playerToken },
    );
    expect(inline.data.addCard.__typename).toBe('AddCardPayload');

    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const key = randomUUID();
    const bought = await buyTyped(app, game, buyer, game.items.life!, {
      key,
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');

    await app.tracing.forceFlush();
    await waitFor(
      () => spansOf(receiver.received).spans.some((s) => s.traceId === traceId && s.kind === SERVER),
      10_000,
      'the purchase’s trace at the receiver',
    );
    expect(receiver.received.every((r) => r.path === '/v1/traces' && r.contentType.includes('json'))).toBe(true);
    const { spans, services } = spansOf(receiver.received);
    expect(new Set(services)).toEqual(new Set(['coinslot']));
    const inTrace = spans.filter((s) => s.traceId === traceId);

    // the operation: a SERVER span whose parent is the game server's span
    const operation = inTrace.find((s) => s.kind === SERVER)!;
    expect(operation.parentSpanId).toBe(callerSpanId);
    expect(operation.name).toBe('mutation createPurchase');
    expect(operation.attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'CreatePurchase',
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
    });
    const children = inTrace.filter((s) => s.parentSpanId === operation.spanId);

    const postgres = children.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(postgres.length).toBeGreaterThan(0);
    expect(postgres.every((s) => s.kind === CLIENT && typeof s.attributes['db.query.text'] === 'string')).toBe(true);
    // The purchase's writes are SQL functions called by SELECT: phase 1, then its settlement (alone or in a batch).
    const statements = postgres.map((s) => String(s.attributes['db.query.text']));
    expect(
      statements.some((q) => q.includes('purchase_phase_one(')),
      statements.join('\n'),
    ).toBe(true);
    expect(
      statements.some((q) => /settle_purchases?\(/.test(q)),
      statements.join('\n'),
    ).toBe(true);
    const database = new URL(testDatabaseUrl());
    expect(postgres[0]!.attributes).toMatchObject({
      'server.address': database.hostname,
      'server.port': Number(database.port || 5432),
      'db.namespace': database.pathname.slice(1),
    });

    const redis = children.filter((s) => s.attributes['db.system.name'] === 'redis');
    expect(redis.map((s) => s.name)).toEqual(
      expect.arrayContaining(['EVALSHA apiRateLimit', 'EVALSHA idempotencyBegin', 'EVALSHA velocityRules']),
    );
    expect(redis.every((s) => s.kind === CLIENT && s.name.startsWith(`${s.attributes['db.operation.name']}`))).toBe(
      true,
    );

    const charge = children.find((s) => s.name === 'acquirer charge')!;
    expect(charge).toBeDefined();
    expect(charge.kind).toBe(CLIENT);
    expect(charge.attributes).toMatchObject({
      'coinslot.acquirer.operation': 'charge',
      'coinslot.acquirer.outcome': 'approved',
      'server.address': '127.0.0.1',
    });

    // no bind value, card number, credential or key in anything exported (every span of every request)
    const exported = receiver.received.map((r) => r.body.toString('utf8')).join('\n');
    for (const secret of [
      card,
      inlineCard,
      card.slice(-8),
      inlineCard.slice(-8),
      key,
      buyer.gameToken,
      buyer.playerToken,
      game.secretKey,
      'player-password',
      'test-acquirer-secret',
    ]) {
      expect(exported).not.toContain(secret);
    }
    // statement text keeps its placeholders and nothing else
    for (const span of spans.filter((s) => s.attributes['db.system.name'] === 'postgresql')) {
      expect(span.attributes['db.query.text']).not.toMatch(/'[^?']/);
    }

    // log lines written inside the request carry its trace id (and the span they were written in)
    const acquirerLines = logs.filter((line) => line.msg === 'acquirer call' && line.trace_id === traceId);
    expect(acquirerLines.length).toBeGreaterThan(0);
    expect(acquirerLines.map((line) => line.span_id)).toContain(charge.spanId);
    expect(logs.filter((line) => line.trace_id === traceId).every((line) => line.trace_flags === '01')).toBe(true);
  });

  it('sends the active span to the acquirer as traceparent', async () => {
    const headers: Record<string, string | string[] | undefined>[] = [];
    const fake = createServer((request, response) => {
      headers.push(request.headers);
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'not_found' } }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const acquirer = createHttpAcquirer({
      baseUrl: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
      secret: 'test-acquirer-secret-for-the-fake',
    });
    try {
      const ids = await trace.getTracer('test').startActiveSpan('caller', async (span) => {
        expect(await acquirer.lookupCharge(randomUUID())).toBeNull();
        span.end();
        return span.spanContext();
      });
      expect(headers).toHaveLength(1);
      expect(headers[0]!.traceparent).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
      expect(headers[0]!.baggage).toBeUndefined();
    } finally {
      await acquirer.close();
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });
});

describe('traces over OTLP/HTTP (protobuf, the default)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let app: TestApp;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await createTestApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` } });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  it('exports protobuf to <endpoint>/v1/traces, service name and trace id inside', async () => {
    const traceId = randomBytes(16).toString('hex');
    const answer = await app.gql(
      'query Anything { __typename }',
      {},
      {
        headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      },
    );
    expect(answer.status).toBe(200);
    await app.tracing.forceFlush();
    const id = Buffer.from(traceId, 'hex');
    await waitFor(() => receiver.received.some((r) => r.body.includes(id)), 10_000, 'the trace at the receiver');
    const request = receiver.received.find((r) => r.body.includes(id))!;
    expect(request.path).toBe('/v1/traces');
    expect(request.contentType).toBe('application/x-protobuf');
    expect(request.body.includes(Buffer.from('coinslot'))).toBe(true);
    expect(request.body.includes(Buffer.from('query introspection'))).toBe(true);
  });
});
