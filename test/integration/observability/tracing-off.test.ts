// Without OTEL_EXPORTER_OTLP_ENDPOINT tracing costs nothing (issue 20): the OTel SDK is never loaded, no
// tracer provider, context manager or propagator is registered, no driver is wrapped, an incoming
// traceparent goes nowhere and log lines carry no trace id.
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { context, propagation, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { expectTypename } from '../../helpers/graphql.js';
import { buyTyped, setUpGame, setUpPlayer } from '../../helpers/flows.js';

describe('tracing when OTEL_EXPORTER_OTLP_ENDPOINT is unset', () => {
  let app: TestApp;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk, _encoding, done) {
          logs.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    // testEnv() sets no OTEL_* variable (and ignores the process' own environment)
    app = await createTestApp({ logger });
  });
  afterAll(() => app?.close());

  it('loads no SDK and registers no tracer provider, context manager or propagator', async () => {
    const game = await setUpGame(app);
    const buyer = await setUpPlayer(app, game);
    const bought = await buyTyped(app, game, buyer, game.items.life!, {
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');

    expect(app.tracing.enabled).toBe(false);
    expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate().constructor.name).toBe(
      'NoopTracerProvider',
    );
    expect(propagation.fields()).toEqual([]);
    // the API's no-op: nothing is ever active, a span started anyway records nothing
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    context.with(trace.setSpan(context.active(), span), () => expect(trace.getActiveSpan()).toBeUndefined());
    // no module of the SDK or an exporter was ever loaded
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((path) => /@opentelemetry\/(sdk-|exporter-|resources|core)/.test(path))).toEqual([]);
    // the pg pool is the driver's own, not wrapped
    expect(app.database.pool!.query).toBe(pg.Pool.prototype.query);
    expect(app.database.pool!.connect).toBe(pg.Pool.prototype.connect);
    // the request's log lines carry no trace fields
    expect(logs.some((line) => line.msg === 'acquirer call')).toBe(true);
    expect(logs.filter((line) => 'trace_id' in line || 'span_id' in line)).toEqual([]);
  });
});
