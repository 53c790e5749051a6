// Spans through the OpenTelemetry API only. Without an SDK (OTEL_EXPORTER_OTLP_ENDPOINT unset) the
// API is its no-op: no span is active, so nothing below allocates a span, reads a query or injects a
// header. The SDK is loaded and registered by the composition root alone (src/composition/tracing.ts).
import {
  context,
  isSpanContextValid,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
} from '@opentelemetry/api';

/** The instrumentation scope of every Coinslot span. */
export const TRACER_NAME = 'coinslot';

export { SpanKind };

export interface ChildSpanOptions<T> {
  readonly kind?: SpanKind;
  /** The span's attributes, computed only when a span is made (never a bind value or card data). */
  readonly attributes: () => Attributes;
  /** Attributes from the result (an outcome), set before the span ends. */
  readonly resultAttributes?: (result: T) => Attributes;
  /** The failure's `error.type`: a code or a class name, never a message (messages can quote values). */
  readonly errorType?: (error: unknown) => string;
}

/**
 * Runs `run` inside a span that is a child of the active one, and only when a recording span is
 * active: calls outside a traced request (start-up, migrations, background loops) make no span of
 * their own, like instrumentation-pg's requireParentSpan, so they never flood the backend with
 * one-span traces. The span is active while `run` runs (an outbound call propagates it).
 */
export function withChildSpan<T>(
  name: string | (() => string),
  options: ChildSpanOptions<T>,
  run: () => Promise<T>,
): Promise<T> {
  if (!trace.getActiveSpan()?.isRecording()) return run();
  const spanName = typeof name === 'string' ? name : name();
  return trace
    .getTracer(TRACER_NAME)
    .startActiveSpan(
      spanName,
      { kind: options.kind ?? SpanKind.CLIENT, attributes: options.attributes() },
      async (span) => {
        try {
          const result = await run();
          if (options.resultAttributes) span.setAttributes(options.resultAttributes(result));
          return result;
        } catch (error) {
          span.setAttribute('error.type', (options.errorType ?? errorTypeOf)(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
}

/** A failure's class for `error.type`: its string `code` (SQLSTATE, ECONNREFUSED…), else its name. */
export function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  if (error instanceof Error) return error.name || error.constructor.name || '_OTHER';
  return '_OTHER';
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`) for an outbound request; {} without an SDK. */
export function traceContextHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** `trace_id`, `span_id` and `trace_flags` of the active span, for a log line; {} outside a trace. */
export function activeTraceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ids = span.spanContext();
  if (!isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId, trace_flags: `0${ids.traceFlags.toString(16)}`.slice(-2) };
}
