// CORS for the API: the origins games registered (`allowedOrigins`) and Coinslot's own, nothing else.
//
// Coinslot authenticates with bearer tokens, never cookies, so no response allows credentials: a page
// on an allowed origin reads answers to requests carrying a token it already holds, and a page on any
// other origin gets no CORS headers at all (the browser keeps the answer from it).
//
// The registered origins are a snapshot of every game's list, refreshed at most every
// CORS_ORIGINS_TTL (30 s): one small query per instance and period, whatever the traffic and however
// many hostile Origin headers arrive (a per-origin lookup would let random origins reach Postgres on
// every request, and the column has no index for it). A change made through this instance
// (createGame, updateGame) refreshes it at once; other instances follow within the TTL. Refused
// origins only lose the right to read answers, so that short delay opens nothing.
import type { CORSOptions } from '@whatwg-node/server';
import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';

export interface CorsPolicyOptions {
  /** Every origin some game registered (the games module's listRegisteredOrigins). */
  readonly load: () => Promise<Set<string>>;
  /** Coinslot's own origins (PUBLIC_URL's); a request's own origin is always allowed. */
  readonly ownOrigins: readonly string[];
  readonly ttlMs: number;
  /**
   * Allow `Origin: null` (an opaque origin): only while GraphiQL is on, whose sandboxed page has one
   * (src/http/graphiql.ts). Any sandboxed page anywhere then reads answers, but only to requests with
   * a bearer token it holds itself: nothing ambient is ever sent.
   */
  readonly allowOpaqueOrigin?: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface CorsPolicy {
  /** Whether a page on `origin` may read the API's answers to `request`. */
  allows(origin: string, request: Request): Promise<boolean>;
  /** yoga's `cors` option: options for an allowed origin, false (no headers) for any other. */
  forYoga(request: Request): Promise<CORSOptions>;
  /** Drops the snapshot (a game's origins changed here): the next request reads them again. */
  invalidate(): void;
}

/** What a browser game sends and reads beside the body. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', 'idempotency-key', 'x-request-id'];
const EXPOSED_HEADERS = ['retry-after', 'idempotent-replayed', 'ratelimit', 'ratelimit-policy', 'x-request-id'];

/** The origin of a URL (`https://host[:port]`), or null. */
export function originOf(url: string | undefined | null): string | null {
  if (!url) return null;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

export function createCorsPolicy(options: CorsPolicyOptions): CorsPolicy {
  const own = new Set(options.ownOrigins);
  let snapshot: Set<string> | null = null;
  let loadedAt = 0;
  let refreshing: Promise<Set<string>> | null = null;

  const refresh = (): Promise<Set<string>> => {
    refreshing ??= options
      .load()
      .then((origins) => {
        snapshot = origins;
        loadedAt = options.clock.now().getTime();
        return origins;
      })
      .catch((error: unknown) => {
        // Keep the last snapshot (or none: only Coinslot's own origins) rather than fail the request.
        options.logger.warn({ err: error }, 'could not read the registered origins for CORS');
        return snapshot ?? new Set<string>();
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };

  const registered = async (): Promise<Set<string>> => {
    const fresh = snapshot !== null && options.clock.now().getTime() - loadedAt < options.ttlMs;
    if (fresh) return snapshot!;
    // A stale snapshot answers while one refresh runs; without one, wait for it.
    const pending = refresh();
    return snapshot ?? pending;
  };

  const policy: CorsPolicy = {
    async allows(origin, request) {
      if (origin === 'null') return options.allowOpaqueOrigin === true;
      if (own.has(origin) || origin === originOf(request.url)) return true;
      return (await registered()).has(origin);
    },
    async forYoga(request) {
      const origin = request.headers.get('origin');
      if (!origin || !(await policy.allows(origin, request))) return false;
      return {
        origin: [origin],
        credentials: false,
        methods: ['GET', 'POST', 'OPTIONS'],
        allowedHeaders: ALLOWED_HEADERS,
        exposedHeaders: EXPOSED_HEADERS,
        maxAge: 600,
      };
    },
    invalidate() {
      snapshot = null;
    },
  };
  return policy;
}
