// OpenTelemetry's SDK, built from the configuration when (and only when) an OTLP endpoint is set.
// Without one nothing here is imported: the adapters' spans go to the API's no-op, no tracer provider,
// context manager or propagator is registered, and the process does no tracing work at all.
import { context, propagation, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export interface Tracing {
  /** True when spans are exported (OTEL_EXPORTER_OTLP_ENDPOINT or _TRACES_ENDPOINT set, not OTEL_SDK_DISABLED). */
  readonly enabled: boolean;
  /** Exports every ended span now (tests; a shutdown does it too). */
  forceFlush(): Promise<void>;
  /** Flushes, stops the exporter and unregisters the provider, context manager and propagator. */
  shutdown(): Promise<void>;
}

const DISABLED: Tracing = { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };

/** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
export function tracesEndpoint(config: Config): string | null {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing when configured: a Node tracer provider (AsyncLocalStorage context, W3C trace
 * context propagation) named OTEL_SERVICE_NAME, sampling as OTEL_TRACES_SAMPLER says,
 * batching spans to the OTLP/HTTP exporter of OTEL_EXPORTER_OTLP_PROTOCOL.
 */
export async function startTracing(config: Config, logger: Logger): Promise<Tracing> {
  const url = tracesEndpoint(config);
  if (url === null || config.OTEL_SDK_DISABLED) return DISABLED;
  const [sdk, { W3CTraceContextPropagator }, { resourceFromAttributes }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    config.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const ratio = new sdk.TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  const root = {
    always_on: new sdk.AlwaysOnSampler(),
    always_off: new sdk.AlwaysOffSampler(),
    traceidratio: ratio,
    parentbased_always_on: new sdk.AlwaysOnSampler(),
    parentbased_always_off: new sdk.AlwaysOffSampler(),
    parentbased_traceidratio: ratio,
  }[config.OTEL_TRACES_SAMPLER];
  const exporter = new OTLPTraceExporter({ url, headers: { ...config.secrets.otlpHeaders } });
  const provider = new sdk.NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME }),
    sampler: config.OTEL_TRACES_SAMPLER.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root,
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  // AsyncLocalStorage context; W3C trace context only: a client's `baggage` header is not carried on to the acquirer
  provider.register({ propagator: new W3CTraceContextPropagator() });
  // One provider per process: a second instance in the same process (tests) would silently lose its spans.
  const registered = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() === provider;
  if (!registered) {
    await provider.shutdown();
    throw new Error('Another OpenTelemetry tracer provider is already registered in this process.');
  }
  const target = new URL(url);
  logger.info(
    { endpoint: `${target.protocol}//${target.host}${target.pathname}`, protocol: config.OTEL_EXPORTER_OTLP_PROTOCOL },
    'exporting traces over OTLP',
  );
  let stopped = false;
  return {
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      await provider
        .shutdown()
        .catch((error: unknown) => logger.warn({ err: error }, 'trace export at shutdown failed'));
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
