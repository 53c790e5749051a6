import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { NoSchemaIntrospectionCustomRule, type DocumentNode, type SelectionNode } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { createServerAdapter, type ServerAdapter, type ServerAdapterBaseObject } from '@whatwg-node/server';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { schema } from '../graphql/schema/index.js';
import { maskError } from '../graphql/errors.js';
import { idempotencyPlugin } from '../graphql/idempotency.js';
import { retryAfterPlugin, retryAfterSlot, type RetryAfterSlot } from '../graphql/retry-after.js';
import { apiRateLimitPlugins } from '../graphql/rate-limit-plugin.js';
import { redactInputValuesPlugin } from '../graphql/redact-input-values.js';
import { STREAM_ENDPOINT, streamEndpointPlugins } from '../graphql/stream-endpoint.js';
import { rateLimitSlot, typedErrorSlot, type RateLimitSlot, type TypedErrorSlot } from '../graphql/request-slots.js';
import { operationLabeler } from '../graphql/operation-label.js';
import { tracingPlugin } from '../graphql/tracing-plugin.js';
import { nameRequestSpan, traceRequest } from '../http/tracing.js';
import type { AppContext, GraphQLContext } from '../graphql/context.js';
import { authenticate } from '../modules/accounts/index.js';
import { idempotencySlot, type IdempotencySlot } from '../modules/idempotency/index.js';
import type { Deps, ServiceContext } from '../modules/service-context.js';
import { createMetrics, type Metrics } from '../http/metrics.js';
import { healthz, readyz } from '../http/health.js';
import { jwks } from '../http/jwks.js';
import { staticFiles } from '../http/static-files.js';
import { clientIp } from '../http/client-ip.js';
import { authorizeEndpoint, tokenEndpoint } from '../http/oauth.js';
import { htmlHeaders } from '../http/web-headers.js';
import { frameAncestorsFor, payPage } from '../http/web-pages.js';
import { createCorsPolicy, type CorsPolicy } from '../http/cors.js';
import { graphiqlAsset, graphiqlPage, wantsGraphiQL } from '../http/graphiql.js';
import { listRegisteredOrigins } from '../modules/games/index.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the HTTP server passes along with each request. */
export interface ServerContext {
  /** The peer address, for throttling; absent when driven by fetch in tests. */
  readonly ip?: string | null;
  /** This request's idempotency state, fresh for each /graphql request (see graphql/idempotency.ts). */
  readonly idempotency?: IdempotencySlot;
  /** This request's Retry-After wait and RateLimit quotas, fresh for each /graphql request (graphql/retry-after.ts). */
  readonly retryAfter?: RetryAfterSlot;
  /** The domain errors this request's mutations answered with, fresh for each /graphql request (graphql/mutation-guard-plugin.ts). */
  readonly typedErrors?: TypedErrorSlot;
  /** What the API rate limit decided, fresh for each /graphql request (graphql/rate-limit-plugin.ts). */
  readonly rateLimit?: RateLimitSlot;
}

export interface AppOptions {
  /** Extra envelop/yoga plugins (idempotency, rate limits), in order. */
  readonly plugins?: Plugin<GraphQLContext & ServerContext>[];
  /** Extra routes beside GraphQL, tried before the web front. */
  readonly routes?: Route[];
  /** Serve GraphiQL on GET /graphql (config GRAPHIQL; off unless asked). */
  readonly graphiql?: boolean;
  /** Answer introspection queries (config INTROSPECTION; off in production unless asked). */
  readonly introspection?: boolean;
  /** Folder of Coinslot's built web front (dist/web): `/assets/*`, `/pay/*` and `/account`. */
  readonly webDir?: string;
  /** Folder of the built browser SDK (dist/sdk): `GET /sdk/coinslot.js`. */
  readonly sdkDir?: string;
  readonly metrics?: Metrics;
  /** Request bodies above this many bytes get 413 before anything parses them (MAX_BODY_BYTES). */
  readonly maxBodyBytes?: number;
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (METRICS_TOKEN). */
  readonly metricsToken?: string;
  /** false: the main address answers /metrics with 404 (it is served on METRICS_ADDRESS instead). */
  readonly metricsRoute?: boolean;
  /** CORS of /graphql: Coinslot's own origins beside the games' registered ones, and the snapshot's TTL. */
  readonly cors?: { readonly ownOrigins: readonly string[]; readonly ttlMs: number };
  /** A SERVER span per request, named after its route or GraphQL operation (only with an OTel SDK). */
  readonly tracing?: boolean;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: URLPattern | RegExp;
  handle(request: Request, match: RegExpExecArray, ctx: ServerContext): Promise<Response> | Response;
}

export interface App {
  readonly yoga: YogaServerInstance<ServerContext, AppContext>;
  /** Which origins may read the API's answers (the games' registered origins and Coinslot's own). */
  readonly cors: CorsPolicy;
  /** GET /metrics as answered on the main address (or on METRICS_ADDRESS's listener). */
  metricsResponse(request: Request): Promise<Response>;
  /** The handler of METRICS_ADDRESS's listener: GET /metrics, 404 for anything else. */
  readonly metricsHandler: ServerAdapter<ServerContext, ServerAdapterBaseObject<ServerContext>>;
  /** A fetch-style handler for every route; `http.createServer(app.handler)` listens with it. */
  readonly handler: ServerAdapter<ServerContext, ServerAdapterBaseObject<ServerContext>>;
  readonly metrics: Metrics;
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}

type URLPattern = never;

/** Refuses __schema and __type queries at validation (production, unless INTROSPECTION=true). */
const disableIntrospection: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
};

/** Whether every percent escape of a path decodes (a bad one is the client's 400, never a 500). */
function isDecodablePath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

const tooLarge = (limit: number) =>
  Response.json({ error: 'payload_too_large', message: `the body is larger than ${limit} bytes` }, { status: 413 });

/**
 * A request whose body is at most `limit` bytes, or 413: a declared Content-Length above it is refused
 * unread; a body without one (chunked) is read up to the limit and refused as soon as it passes it.
 */
async function boundBody(request: Request, limit: number): Promise<Request | Response> {
  // No body to bound: a preflight (OPTIONS) from a game's origin arrives over node:http with an empty stream.
  if (request.body === null || request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS')
    return request;
  const declared = request.headers.get('content-length');
  if (declared !== null) return Number(declared) > limit ? tooLarge(limit) : request;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value: read } = await reader.read();
    if (done) break;
    // Over node:http every chunk is bytes; a Request built in-process (app.fetch with a
    // URLSearchParams or string body) may stream its body as a string.
    const value: Uint8Array = typeof read === 'string' ? new TextEncoder().encode(read) : read;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return tooLarge(limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  // From its parts: the server adapter's request is not always the platform's Request class, which
  // `new Request(request, …)` would take for a URL (a 500 for every chunked body over real HTTP).
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: size > 0 ? body : null,
    signal: request.signal,
    duplex: 'half',
  } as RequestInit);
}

/** Constant-time comparison of a bearer token with the expected one (both hashed first, so lengths never leak). */
function bearerMatches(request: Request, expected: string): boolean {
  const header = request.headers.get('authorization') ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return given.length > 0 && timingSafeEqual(digest(given), digest(expected));
}

/** The composition root of the HTTP surface: GraphQL, OAuth, health, metrics, the web front and coinslot.js. */
export function buildApp(deps: Deps, options: AppOptions = {}): App {
  const metrics = options.metrics ?? createMetrics();
  const { logger } = deps;

  const labelOf = operationLabeler(schema);
  const observe: Plugin<GraphQLContext> = {
    onExecute({ args }) {
      // the root field, not the client-chosen operation name: a bounded label (graphql/operation-label.ts)
      const operation = labelOf(args.document, args.operationName).label;
      const end = metrics.graphqlDuration.startTimer({ operation });
      return {
        onExecuteDone({ result }) {
          end();
          const errors = 'errors' in result && Array.isArray(result.errors) ? result.errors : [];
          const typedErrors = (args.contextValue as Partial<GraphQLContext>).typedErrors;
          for (const error of errors) {
            // a domain error a mutation threw was counted by its code already (mutation guard)
            if (typedErrors?.counted.has((error as { originalError?: unknown }).originalError)) continue;
            const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
            metrics.business.graphqlError(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
          }
          const typed = (typedErrors?.counted.size ?? 0) > 0;
          metrics.graphqlOperations.inc({
            operation,
            outcome: errors.length > 0 ? 'error' : typed ? 'typed_error' : 'ok',
          });
        },
      };
    },
  };

  const cors = createCorsPolicy({
    load: () => listRegisteredOrigins(deps),
    ownOrigins: options.cors?.ownOrigins ?? [],
    allowOpaqueOrigin: options.graphiql === true,
    ttlMs: options.cors?.ttlMs ?? 30_000,
    clock: deps.clock,
    logger,
  });
  /** A change of a game's origins through this instance is seen here at once (others within the TTL). */
  const refreshOrigins: Plugin = {
    onExecute({ args }) {
      const document = args.document as DocumentNode;
      const changesGames = document.definitions.some(
        (d) =>
          d.kind === 'OperationDefinition' &&
          d.operation === 'mutation' &&
          d.selectionSet.selections.some(
            (s: SelectionNode) =>
              s.kind === 'Field' && (s.name.value === 'createGame' || s.name.value === 'updateGame'),
          ),
      );
      return changesGames ? { onExecuteDone: () => cors.invalidate() } : undefined;
    },
  };

  const apiRateLimit = apiRateLimitPlugins(deps);
  const yoga = createYoga<ServerContext, AppContext>({
    schema,
    // The games' registered origins and Coinslot's own, never with credentials (bearer tokens only).
    cors: (request) => cors.forYoga(request),
    graphqlEndpoint: '/graphql',
    // GraphiQL is Coinslot's own page (src/http/graphiql.ts), not yoga's CDN-loaded one
    graphiql: false,
    landingPage: false,
    logging: false,
    maskedErrors: {
      maskError: (error, message) => {
        const masked = maskError(error, message);
        if (masked.extensions.code === 'INTERNAL_SERVER_ERROR')
          logger.error({ err: error }, 'unexpected error in GraphQL');
        return masked;
      },
    },
    plugins: [
      maxDepthPlugin({ n: 12, flattenFragments: true }),
      costLimitPlugin({ maxCost: 20_000, objectCost: 2, scalarCost: 1, depthCostFactor: 1.5 }),
      observe,
      ...(options.tracing ? [tracingPlugin(labelOf)] : []),
      refreshOrigins,
      // API rate limits run first (before parsing and authentication), always before idempotency;
      // a count deferred to the idempotency lock that the lock did not take is counted before execution
      apiRateLimit.beforeParsing,
      idempotencyPlugin(deps),
      apiRateLimit.beforeExecution,
      retryAfterPlugin(),
      redactInputValuesPlugin(),
      // graphql-sse's single-connection mode on /graphql/stream (after the rate limit)
      ...streamEndpointPlugins(),
      ...(options.introspection === false ? [disableIntrospection] : []),
      ...((options.plugins ?? []) as Plugin[]),
    ] as Plugin[],
    context: async ({ request, ...server }): Promise<AppContext> => {
      const requestId = request.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
      const principal = await authenticate(deps, request.headers.get('authorization'));
      const ip = clientIp(request, (server as ServerContext).ip, deps.config.API_RATE_LIMIT_TRUST_PROXY);
      const service: ServiceContext = { deps, principal, requestId, ip };
      // handler below gives every /graphql request its slots; yoga driven any other way would lose replays
      const { idempotency, retryAfter, typedErrors, rateLimit } = server as ServerContext;
      if (!idempotency) throw new Error('a /graphql request reached yoga without its idempotency slot');
      if (!retryAfter || !typedErrors || !rateLimit)
        throw new Error('a /graphql request reached yoga without its slots');
      return { principal, service, requestId, idempotency, retryAfter, typedErrors, rateLimit };
    },
  });

  const metricsResponse = async (request: Request): Promise<Response> =>
    options.metricsToken !== undefined && !bearerMatches(request, options.metricsToken)
      ? Response.json({ error: 'unauthorized' }, { status: 401, headers: { 'www-authenticate': 'Bearer' } })
      : new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } });

  const serveWeb = options.webDir ? staticFiles(options.webDir) : null;
  /** The web front's pages: every path of theirs opens its index.html, which routes by path. */
  const webPaths = /^\/account(\/|$)/;
  const notFound = () => Response.json({ error: 'not_found' }, { status: 404 });
  /** The web front's page (it routes by path), with `frame-ancestors` as given. */
  const webPage = async (frameAncestors: readonly string[]): Promise<Response | null> => {
    if (!options.webDir) return null;
    const body = await readFile(join(options.webDir, 'index.html')).catch(() => null);
    return body ? new Response(body, { headers: htmlHeaders({ frameAncestors }) }) : null;
  };
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/healthz$/, handle: () => healthz() },
    // Coinslot Connect: OAuth 2.0 authorization code + PKCE for games on their own origins and native apps.
    {
      method: 'GET',
      pattern: /^\/oauth\/authorize$/,
      handle: (request) => authorizeEndpoint(deps, request, (game) => webPage(frameAncestorsFor(game))),
    },
    // The pay sheet: framed only by its game's registered origins; posts only to a registered origin.
    ...(options.webDir
      ? [
          {
            method: 'GET' as const,
            pattern: /^\/pay(\/|$)/,
            handle: async (request: Request) => (await payPage(deps, request, webPage)) ?? notFound(),
          },
        ]
      : []),
    ...(options.sdkDir
      ? [
          {
            method: 'GET' as const,
            pattern: /^\/sdk\/coinslot\.js(\.map)?$/,
            handle: async (_request: Request, match: RegExpExecArray) => {
              const body = await readFile(join(options.sdkDir!, `coinslot.js${match[1] ?? ''}`)).catch(() => null);
              if (!body) return notFound();
              return new Response(body, {
                headers: {
                  'content-type': match[1] ? 'application/json' : 'text/javascript; charset=utf-8',
                  // Public code every game loads from its own origin (a module script needs CORS).
                  'access-control-allow-origin': '*',
                  'cross-origin-resource-policy': 'cross-origin',
                  'cache-control': 'no-cache',
                  'x-content-type-options': 'nosniff',
                },
              });
            },
          },
        ]
      : []),
    ...(options.graphiql
      ? [
          {
            method: 'GET' as const,
            pattern: /^\/graphiql\/([a-z]+(?:\/[a-z]+)?\.(?:js|css))$/,
            handle: async (request: Request, match: RegExpExecArray) =>
              (await graphiqlAsset(request, match[1]!)) ?? notFound(),
          },
        ]
      : []),
    { method: 'POST', pattern: /^\/oauth\/token$/, handle: (request) => tokenEndpoint(deps, request) },
    { method: 'GET', pattern: /^\/readyz$/, handle: () => readyz(deps) },
    { method: 'GET', pattern: /^\/\.well-known\/jwks\.json$/, handle: () => jwks(deps) },
    // with METRICS_ADDRESS, a 404 here (not the demo game's index page)
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      handle: (request) => (options.metricsRoute === false ? notFound() : metricsResponse(request)),
    },
    ...(options.routes ?? []),
  ];

  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const handle = async (incoming: Request, serverContext: ServerContext): Promise<Response> => {
    let request = incoming;
    const url = new URL(request.url);
    const started = performance.now();
    let route = 'other';
    let response: Response | null = null;
    try {
      if (!isDecodablePath(url.pathname)) {
        response = Response.json({ error: 'bad_request', message: 'malformed path' }, { status: 400 });
      } else {
        const bounded = await boundBody(request, maxBodyBytes);
        if (bounded instanceof Response) response = bounded;
        else request = bounded;
      }
      if (response) {
        // answered above: a malformed path or a body over the limit
      } else if (url.pathname === '/graphql' && options.graphiql && wantsGraphiQL(request)) {
        route = 'graphiql';
        response = graphiqlPage(request, { title: 'Coinslot GraphQL' });
      } else if (url.pathname === '/graphql' || url.pathname === STREAM_ENDPOINT) {
        route = url.pathname;
        nameRequestSpan(request.method, route);
        // fresh per-request slots: the plugins' hooks and the mutation guard share them
        response = await yoga.handle(request, {
          ...serverContext,
          idempotency: idempotencySlot(),
          retryAfter: retryAfterSlot(),
          typedErrors: typedErrorSlot(),
          rateLimit: rateLimitSlot(),
        });
        // The answer depends on the Origin (CORS): caches must keep one per origin.
        if (!/\borigin\b/i.test(response.headers.get('vary') ?? '')) response.headers.append('vary', 'Origin');
      } else {
        for (const candidate of routes) {
          const match = (candidate.pattern as RegExp).exec(url.pathname);
          if (match && candidate.method === request.method) {
            route = (candidate.pattern as RegExp).source;
            nameRequestSpan(request.method, route);
            response = await candidate.handle(request, match, serverContext);
            break;
          }
        }
        if (!response && serveWeb && request.method === 'GET') {
          if (url.pathname.startsWith('/assets/')) {
            route = 'web';
            response = await serveWeb(url.pathname);
          } else if (webPaths.test(url.pathname)) {
            route = 'web';
            response = await serveWeb('/index.html');
          }
        }
      }
      response ??= Response.json({ error: 'not_found' }, { status: 404 });
    } catch (error) {
      logger.error({ err: error, path: url.pathname }, 'unhandled error in route');
      response = Response.json({ error: 'internal_error' }, { status: 500 });
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.httpRequests.inc({ route, method: request.method, status: String(response.status) });
    metrics.httpDuration.observe({ route, method: request.method }, seconds);
    return response;
  };
  const handler = createServerAdapter<ServerContext>((incoming, serverContext) =>
    options.tracing ? traceRequest(incoming, () => handle(incoming, serverContext)) : handle(incoming, serverContext),
  );

  const metricsHandler = createServerAdapter<ServerContext>(async (request) =>
    request.method === 'GET' && new URL(request.url).pathname === '/metrics'
      ? metricsResponse(request)
      : Response.json({ error: 'not_found' }, { status: 404 }),
  );

  return {
    yoga,
    cors,
    metricsResponse,
    metricsHandler,
    handler,
    metrics,
    fetch: async (input, init) => handler.fetch(input as string, init as RequestInit),
  };
}
