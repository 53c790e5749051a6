import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.js';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { acquirerIdempotencyKeys } from './schema.js';
import { deriveKeys, requestHash, secretMatches } from './crypto.js';
import { FaultBoard, faultFromHeaders, parseFault, type Fault } from './faults.js';
import { HttpError, checkDeadline, readJsonBody, replayReply, sendReply, type Reply } from './http.js';
import * as ops from './operations.js';
import { CardCache, fastCharge, type FastChargeDeps } from './charge-fast-path.js';
import { rawSqlOf } from './raw-sql.js';
import { deliverDueCallbacks, raiseDueDisputes, type DisputeDeps } from './disputes.js';

export interface AcquirerServerOptions {
  readonly db: Database;
  /** The shared secret: the Bearer credential of every call, the root of the card-encryption key, and the callback signing key. */
  readonly secret: string;
  /** Enables fault injection (control endpoint /v1/test/faults and Acquirer-Fault headers). Never in production. */
  readonly testMode: boolean;
  readonly clock?: Clock;
  /** How long after an approved charge of the dispute card (4000 0000 0000 0259) its dispute is raised. */
  readonly disputeDelayMs: number;
  readonly logger: Logger;
  /** How often due disputes and callback retries are swept (default 1 s). */
  readonly sweepIntervalMs?: number;
  /** Timeout of one dispute callback POST (default 5 s). */
  readonly webhookTimeoutMs?: number;
}

export interface AcquirerServer {
  /** Listens and resolves to the base URL (`http://127.0.0.1:<port>`); port 0 picks a free port. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops listening, ends open connections (hanging fault requests too) and the dispute sweeper. */
  close(): Promise<void>;
  /** The base URL; throws before listen. */
  readonly url: string;
  /** Raises due disputes and sends due callbacks now (the sweeper does it every sweepIntervalMs). */
  sweep(): Promise<void>;
}

interface RequestContext {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const CHARGE_ROUTE = /^\/v1\/charges\/([A-Za-z0-9_-]{1,100})(?:\/(confirm|refunds|void))?$/;
const ENDPOINT_ROUTE = /^\/v1\/webhook_endpoints\/([A-Za-z0-9_-]{1,100})$/;

/** The sandbox acquirer as an HTTP service (node:http); see src/acquirer/README.md for its API. */
export function createAcquirerServer(options: AcquirerServerOptions): AcquirerServer {
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ component: 'acquirer' });
  const keys = deriveKeys(options.secret);
  const deps: ops.OperationDeps = { db: options.db, keys, clock, disputeDelayMs: options.disputeDelayMs };
  // Charges take the fast path on Postgres and PGlite (any other driver: the general one).
  const rawSql = rawSqlOf(options.db);
  const fast: FastChargeDeps | null = rawSql ? { ops: deps, sql: rawSql, cards: new CardCache() } : null;
  const disputeDeps: DisputeDeps = {
    db: options.db,
    account: keys.account,
    clock,
    secret: options.secret,
    logger,
    webhookTimeoutMs: options.webhookTimeoutMs ?? 5_000,
  };
  const faults = new FaultBoard();
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl: string | null = null;
  let closed = false;
  let sweeping: Promise<void> | null = null;
  let sweepAgain = false;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // After close() the database may be gone under a request still running: not worth an error line.
      if (!closed) logger.error({ err: error }, 'acquirer request failed');
      if (!res.headersSent)
        sendReply(res, {
          status: 500,
          body: { error: { code: 'internal_error', message: 'Internal error.', retryable: true } },
        });
    });
  });
  server.keepAliveTimeout = 5_000;

  function later(ms: number, fn: () => void): void {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  }

  /** One sweep at a time per process; a request for another while one runs is folded into a rerun. */
  function sweep(): Promise<void> {
    if (sweeping) {
      sweepAgain = true;
      return sweeping;
    }
    sweeping = (async () => {
      do {
        sweepAgain = false;
        try {
          await raiseDueDisputes(disputeDeps);
          await deliverDueCallbacks(disputeDeps);
        } catch (error) {
          if (!closed) logger.error({ err: error }, 'dispute sweep failed');
        }
      } while (sweepAgain && !closed);
    })().finally(() => {
      sweeping = null;
    });
    return sweeping;
  }

  const sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
  function scheduleSweeps(): void {
    later(sweepIntervalMs, () => {
      void sweep().finally(() => scheduleSweeps());
    });
  }

  function whenDisputeDue(dueAt: Date | null): void {
    if (dueAt) later(Math.max(0, dueAt.getTime() - clock.now().getTime()) + 5, () => void sweep());
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://acquirer.invalid');
    const path = url.pathname;
    let reply: Reply;
    let fault: Fault | null = null;
    try {
      if (path === '/healthz' && method === 'GET') {
        sendReply(res, { status: 200, body: { ok: true } });
        return;
      }
      const auth = req.headers.authorization;
      const presented = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!presented || !secretMatches(keys, presented)) {
        throw new HttpError(401, 'unauthorized', 'Missing or wrong Bearer secret.');
      }
      const body = method === 'POST' ? await readJsonBody(req) : undefined;
      if (options.testMode && !path.startsWith('/v1/test/'))
        fault = faultFromHeaders(req.headers) ?? faults.take(method, path);
      if (fault) {
        logger.info({ mode: fault.mode, method, path }, 'injecting fault');
        if (fault.mode === 'latency') await sleep(fault.ms, res);
        if (fault.mode === 'error_before_charge') {
          throw new HttpError(503, 'injected_fault', 'Injected fault before processing; nothing was done.', {}, true);
        }
        if (fault.mode === 'drop_connection' && fault.phase === 'before') {
          req.socket.destroy();
          return;
        }
      }
      reply = await route({ req, method, path, query: url.searchParams, body });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      reply = error.toReply();
    }
    if (fault) {
      if (fault.mode === 'drop_connection') {
        req.socket.destroy();
        return;
      }
      if (fault.mode === 'error_after_charge') {
        reply = {
          status: 500,
          body: { error: { code: 'injected_fault', message: 'Injected fault after processing.', retryable: true } },
        };
      }
      if (fault.mode === 'timeout_after_charge') await sleep(fault.ms, res);
    }
    sendReply(res, reply);
    const ms = Math.round(performance.now() - started);
    if (reply.status >= 500) logger.warn({ method, path, status: reply.status, ms }, 'acquirer request');
    else logger.debug({ method, path, status: reply.status, ms }, 'acquirer request');
  }

  /** Waits, or stops waiting as soon as the client goes away. */
  function sleep(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      if (res.destroyed || closed) return resolve();
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        res.off('close', done);
        resolve();
      }
      res.on('close', done);
    });
  }

  async function route(ctx: RequestContext): Promise<Reply> {
    const { method, path } = ctx;
    if (path === '/v1/tokens' && method === 'POST') {
      return idempotent(ctx, 'tokens', false, (tx) => ops.tokenizeCard(deps, tx, ctx.body));
    }
    if (path === '/v1/charges' && method === 'POST') {
      const header = ctx.req.headers['idempotency-key'];
      if (fast && typeof header === 'string' && IDEMPOTENCY_KEY.test(header)) {
        const outcome = await fastCharge(fast, ctx.req, path, header, ctx.body);
        if (outcome) {
          whenDisputeDue(outcome.disputeDueAt);
          return outcome.reply;
        }
      }
      return idempotent(ctx, 'charges', true, async (tx, key, afterCommit) => {
        const outcome = await ops.createCharge(deps, tx, key as string, ctx.body);
        afterCommit(() => whenDisputeDue(outcome.disputeDueAt));
        return outcome.reply;
      });
    }
    if (path === '/v1/charges' && method === 'GET') {
      const key = ctx.query.get('idempotency_key');
      if (!key || !IDEMPOTENCY_KEY.test(key))
        throw new HttpError(400, 'invalid_request', 'idempotency_key: required, 1 to 255 printable characters', {
          field: 'idempotency_key',
        });
      return ops.findChargeByKey(deps, key);
    }
    const charge = CHARGE_ROUTE.exec(path);
    if (charge) {
      const [, chargeId, action] = charge as unknown as [string, string, string | undefined];
      if (action === undefined && method === 'GET') return ops.findCharge(deps, chargeId);
      if (action === 'confirm' && method === 'POST') {
        return idempotent(ctx, 'confirm', true, async (tx, _key, afterCommit) => {
          const outcome = await ops.confirmCharge(deps, tx, chargeId, ctx.body);
          afterCommit(() => whenDisputeDue(outcome.disputeDueAt));
          return outcome.reply;
        });
      }
      if (action === 'refunds' && method === 'POST')
        return idempotent(ctx, 'refunds', true, (tx) => ops.refundCharge(deps, tx, chargeId, ctx.body));
      if (action === 'void' && method === 'POST')
        return idempotent(ctx, 'void', true, (tx) => ops.voidCharge(deps, tx, chargeId, ctx.body));
    }
    if (path === '/v1/disputes' && method === 'GET') return ops.listDisputes(deps, ctx.query);
    if (path === '/v1/webhook_endpoints' && method === 'POST') {
      return idempotent(ctx, 'webhook_endpoints', false, (tx) => ops.registerWebhookEndpoint(deps, tx, ctx.body));
    }
    const endpoint = ENDPOINT_ROUTE.exec(path);
    if (endpoint && method === 'DELETE') return ops.deleteWebhookEndpoint(deps, endpoint[1] as string);
    if (options.testMode && path.startsWith('/v1/test/')) return testRoute(ctx);
    throw new HttpError(404, 'route_not_found', `No route ${method} ${path}.`);
  }

  async function testRoute(ctx: RequestContext): Promise<Reply> {
    if (ctx.path === '/v1/test/faults' && ctx.method === 'POST') {
      const fault = parseFault(ctx.body);
      faults.arm(fault);
      return {
        status: 201,
        body: {
          id: fault.id,
          mode: fault.mode,
          ms: fault.ms,
          count: fault.remaining,
          phase: fault.phase,
          path: fault.pathPrefix,
        },
      };
    }
    if (ctx.path === '/v1/test/faults' && ctx.method === 'DELETE') {
      faults.clear();
      return { status: 204, body: null };
    }
    if (ctx.path === '/v1/test/faults' && ctx.method === 'GET') {
      return {
        status: 200,
        body: {
          data: faults
            .list()
            .map((f) => ({ id: f.id, mode: f.mode, ms: f.ms, remaining: f.remaining, path: f.pathPrefix })),
        },
      };
    }
    if (ctx.path === '/v1/test/sweep' && ctx.method === 'POST') {
      // {"all": true} raises every pending dispute whatever its due time, so that a test decides when
      // a dispute arrives instead of racing a short ACQUIRER_DISPUTE_DELAY
      const all = typeof ctx.body === 'object' && ctx.body !== null && (ctx.body as { all?: unknown }).all === true;
      if (all) await raiseDueDisputes(disputeDeps, new Date('9999-12-31T00:00:00Z'));
      await sweep();
      return { status: 200, body: { ok: true } };
    }
    throw new HttpError(404, 'route_not_found', `No route ${ctx.method} ${ctx.path}.`);
  }

  /**
   * Runs a POST under its Idempotency-Key: one request per key at a time (advisory lock), the same
   * request replays the stored answer, another request with the key gets 422. The effect and the stored
   * answer commit together; refusals (thrown HttpError) roll back and are not stored.
   */
  async function idempotent(
    ctx: RequestContext,
    operation: string,
    required: boolean,
    handler: (tx: Executor, key: string | null, afterCommit: (fn: () => void) => void) => Promise<Reply>,
  ): Promise<Reply> {
    const header = ctx.req.headers['idempotency-key'];
    const key = typeof header === 'string' ? header : null;
    if (key === null && required)
      throw new HttpError(400, 'idempotency_key_required', 'This request needs an Idempotency-Key header.');
    if (key !== null && !IDEMPOTENCY_KEY.test(key))
      throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key: 1 to 255 printable characters.');
    const hooks: Array<() => void> = [];
    const reply = await options.db.transaction(async (tx) => {
      const hash = requestHash(keys, ctx.method, ctx.path, ctx.body);
      if (key !== null) {
        await ops.lockIdempotencyKey(tx, keys.account, operation, key);
        const [stored] = await tx
          .select()
          .from(acquirerIdempotencyKeys)
          .where(
            and(
              eq(acquirerIdempotencyKeys.account, keys.account),
              eq(acquirerIdempotencyKeys.operation, operation),
              eq(acquirerIdempotencyKeys.key, key),
            ),
          );
        if (stored) return replayReply(stored, hash);
      }
      checkDeadline(ctx.req);
      const result = await handler(tx, key, (fn) => hooks.push(fn));
      if (key !== null && (result.status < 300 || result.status === 402)) {
        await tx.insert(acquirerIdempotencyKeys).values({
          account: keys.account,
          operation,
          key,
          requestHash: hash,
          responseStatus: result.status,
          responseBody: result.body ?? null,
          createdAt: clock.now(),
        });
      }
      return result;
    });
    for (const hook of hooks) hook();
    return reply;
  }

  return {
    async listen(port: number, host = '127.0.0.1'): Promise<string> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      baseUrl = `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`;
      scheduleSweeps();
      void sweep();
      logger.info({ url: baseUrl, account: keys.account, testMode: options.testMode }, 'sandbox acquirer listening');
      return baseUrl;
    },
    async close(): Promise<void> {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      await sweeping;
    },
    get url(): string {
      if (baseUrl === null) throw new Error('the acquirer is not listening yet');
      return baseUrl;
    },
    sweep,
  };
}
