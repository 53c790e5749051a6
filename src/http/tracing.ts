// The SERVER span of each HTTP request (OpenTelemetry's HTTP conventions), continuing the caller's
// trace when it sends a W3C `traceparent` (a game server correlating its own calls). On /graphql the
// GraphQL plugin names it after the operation (graphql/tracing-plugin.ts). No query string, header
// value or body goes on it.
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import { TRACER_NAME } from '../shared/tracing.js';

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** Probes and scrapes: a span each would bury the requests that matter. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/** Runs `handle` inside the request's SERVER span, child of the caller's `traceparent` when there is one. */
export async function traceRequest(request: Request, handle: () => Promise<Response>): Promise<Response> {
  const url = new URL(request.url);
  if (UNTRACED.has(url.pathname)) return handle();
  const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return trace.getTracer(TRACER_NAME).startActiveSpan(
    request.method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'url.scheme': url.protocol.replace(':', ''),
        'url.path': url.pathname.slice(0, 200),
        'server.address': url.hostname,
        'server.port': port,
      },
    },
    parent,
    async (span) => {
      try {
        const response = await handle();
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500) {
          span.setAttribute('error.type', String(response.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return response;
      } catch (error) {
        span.setAttribute('error.type', (error as Error)?.name || '_OTHER');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Names the active request span after its route (`POST /oauth/token`) once the router found one; a
 * route given as a pattern becomes `http.route` only when it is a plain path.
 */
export function nameRequestSpan(method: string, route: string): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  const path = route.startsWith('/') ? route : route.replace(/^\^/, '').replace(/\$$/, '').replace(/\\(.)/g, '$1');
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(path)) return;
  span.setAttribute('http.route', path);
  span.updateName(`${method} ${path}`);
}
