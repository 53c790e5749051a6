import { createHash } from 'node:crypto';
import { getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ServiceUnavailableError } from '../shared/errors.js';
import { clientIp } from '../http/client-ip.js';
import type { ThrottleCheck, ThrottleOutcome } from '../shared/velocity-port.js';
import { hasCachedPrincipal } from '../modules/accounts/index.js';
import type { Deps } from '../modules/service-context.js';
import type { GraphQLContext } from './context.js';
import type { DeferredRateLimit, RateLimitRefusal, RateLimitSlot } from './request-slots.js';
import { noteRateLimit, rateLimitFields, type RateLimitState, type RetryAfterSlot } from './retry-after.js';

/** The peer address and the request's slots the server passes along (composition/app.ts ServerContext). */
interface PeerContext {
  readonly ip?: string | null;
  readonly retryAfter?: RetryAfterSlot;
  readonly rateLimit?: RateLimitSlot;
}

/** One check of a request, with the policy name its RateLimit items carry. */
interface PolicyCheck {
  readonly policy: string;
  readonly check: ThrottleCheck;
}

/** The most subjects remembered as refused (so that their floods are refused before parsing). */
const REFUSED_HINTS_MAX = 10_000;

/** The API rate limit's two plugins: see apiRateLimitPlugins. */
export interface ApiRateLimitPlugins {
  /** First of the plugins: counts a request before it is parsed, or defers its count. */
  readonly beforeParsing: Plugin<GraphQLContext & PeerContext>;
  /** After the idempotency plugin: counts a deferred request the lock did not count, before it runs. */
  readonly beforeExecution: Plugin<GraphQLContext & PeerContext>;
}

/**
 * API rate limits on every GraphQL request, per credential and per client IP, in one Redis call
 * (GCRA, VelocityStore.throttle) before the request is parsed or authenticated. The credential is
 * the Authorization header's hash, so counting needs no database and unknown tokens are counted
 * too (and bounded by their IP). Every response carries the IETF draft's `RateLimit-Policy`
 * (`"ip";q=600;w=60, "credential";q=1200;w=60`) and `RateLimit` (`"ip";r=599;t=1, …`: what is
 * left of each and the seconds until it is whole); a refused request gets HTTP 429 with
 * `Retry-After` and a RATE_LIMITED error.
 *
 * Deferred count (issue 18: a one-tap purchase in 3 Redis calls). Where the idempotency store can
 * count the limit with the lock in one call (`throttlesInBegin`: a single Redis, or the in-process
 * store; never a Redis Cluster, where the keys are in other slots), a POST to /graphql whose
 * credential this instance holds in its principal cache (known valid: authenticating it touches no
 * database) is not counted in onRequest: the count waits in the request's RateLimitSlot, and the
 * first of these takes it:
 * - before parsing (onParams), the plain call, for a request that carries no idempotency key;
 * - the idempotency lock (graphql/idempotency.ts): the same GCRA and the lock in one store call;
 *   refused, no lock is taken and nothing runs; or there the plain call, for a replay the replay
 *   cache answered from memory;
 * - else, before the request executes (a key in its variables that reaches no lock: a query, a
 *   key refused by validation): the plain call, here in `beforeExecution`;
 * - else, when its result is processed (a document that does not parse or validate, a context that
 *   fails) or its response is written: the plain call.
 * Whoever counts it answers a refusal with the very 429 onRequest sends. Unknown credentials,
 * anonymous requests, GET and streams are counted in onRequest as before, so a flood of unknown
 * credentials or of anonymous documents never reaches the parser or Postgres; and a subject once
 * refused is counted in onRequest again until its retry-after is over, so a known credential's
 * flood is refused before parsing too.
 *
 * Redis unreachable: reads (queries, subscriptions) go through unlimited — fail open, so the
 * catalog and history stay readable in an outage — while mutations are refused with
 * SERVICE_UNAVAILABLE (HTTP 503): they fail closed, as money-moving ones would anyway.
 */
export function apiRateLimitPlugins(deps: Deps): ApiRateLimitPlugins {
  const { config, clock, velocityStore, idempotencyStore, logger } = deps;
  const periodMs = config.API_RATE_LIMIT_PERIOD;
  // one warning per 10 s of outage, not one per request
  let lastWarnAt = 0;
  /** Subjects refused lately (check key → clock ms until which they were refused), oldest first. */
  const refusedUntil = new Map<string, number>();

  function checksFor(request: Request, peer: string | null | undefined): PolicyCheck[] {
    const checks: PolicyCheck[] = [
      {
        policy: 'ip',
        check: {
          key: `ip:${clientIp(request, peer, config.API_RATE_LIMIT_TRUST_PROXY) ?? 'unknown'}`,
          limit: config.API_RATE_LIMIT_PER_IP,
          periodMs,
        },
      },
    ];
    const authorization = request.headers.get('authorization');
    if (authorization) {
      const credential = createHash('sha256').update(authorization.trim()).digest('base64url').slice(0, 32);
      checks.push({
        policy: 'credential',
        check: { key: `cred:${credential}`, limit: config.API_RATE_LIMIT_PER_CREDENTIAL, periodMs },
      });
    }
    return checks;
  }

  /** Whether this request's count may wait for the idempotency lock (see above). */
  function mayDefer(request: Request, pathname: string, checks: readonly PolicyCheck[], nowMs: number): boolean {
    if (!idempotencyStore.throttlesInBegin || request.method !== 'POST' || pathname !== '/graphql') return false;
    if (request.headers.get('accept')?.includes('text/event-stream')) return false;
    for (const { check } of checks) {
      const until = refusedUntil.get(check.key);
      if (until === undefined) continue;
      if (until > nowMs) return false;
      refusedUntil.delete(check.key);
    }
    const authorization = request.headers.get('authorization');
    return authorization !== null && hasCachedPrincipal(deps, authorization);
  }

  function storeDown(error: unknown, slot: RateLimitSlot | undefined): void {
    if (!(error instanceof ServiceUnavailableError)) throw error;
    if (Date.now() - lastWarnAt > 10_000) {
      lastWarnAt = Date.now();
      logger.warn({ err: error }, 'API rate limit store unavailable: reads pass, mutations are refused');
    }
    if (slot) slot.storeUnavailable = true;
  }

  /** Notes the quotas for the response headers; the 429 to answer with when refused, else null. */
  function apply(
    checks: readonly PolicyCheck[],
    outcomes: readonly ThrottleOutcome[],
    peer: PeerContext | undefined,
    nowMs: number,
  ): RateLimitRefusal | null {
    const shown = outcomes.map((o, i) => stateOf(checks[i]?.policy ?? 'api', o, periodMs));
    const slot = peer?.retryAfter;
    if (slot) for (const state of shown) noteRateLimit(slot, state);
    if (outcomes.every((o) => o.allowed)) return null;
    const refused = outcomes.filter((o) => !o.allowed && o.retryAfterMs > 0);
    for (const [i, outcome] of outcomes.entries()) {
      const key = checks[i]?.check.key;
      if (key === undefined || outcome.retryAfterMs <= 0) continue;
      refusedUntil.delete(key);
      refusedUntil.set(key, nowMs + outcome.retryAfterMs);
      if (refusedUntil.size > REFUSED_HINTS_MAX) refusedUntil.delete(refusedUntil.keys().next().value as string);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(1, ...refused.map((o) => o.retryAfterMs)) / 1000));
    const body = {
      errors: [
        {
          message: 'Too many requests. Try again later.',
          extensions: { code: 'RATE_LIMITED', retryable: true, retryAfterSeconds },
        },
      ],
    };
    return {
      status: 429,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'retry-after': String(retryAfterSeconds),
        ...rateLimitFields(shown),
      },
      body: JSON.stringify(body),
    };
  }

  function deferral(checks: readonly PolicyCheck[], peer: PeerContext, slot: RateLimitSlot): DeferredRateLimit {
    let nowMs = 0;
    return {
      throttle() {
        nowMs = clock.now().getTime();
        return { nowMs, checks: checks.map((c) => c.check) };
      },
      settle(outcomes, mutation) {
        if (outcomes === null) {
          storeDown(new ServiceUnavailableError(), slot);
          return mutation ? storeUnavailableResult() : null;
        }
        slot.refusal = apply(checks, outcomes, peer, nowMs);
        // the result is replaced by the 429 (onResultProcess)
        return slot.refusal ? { data: null } : null;
      },
      count(mutation) {
        return countDeferred(slot, mutation);
      },
    };
  }

  /** Counts a deferred request on its own (it did not reach the lock), if nobody has yet. */
  async function countDeferred(slot: RateLimitSlot | undefined, mutation: boolean): Promise<ExecutionResult | null> {
    const deferred = slot?.deferred;
    if (!slot || !deferred) return null;
    slot.deferred = null;
    const { nowMs, checks } = deferred.throttle();
    let outcomes: ThrottleOutcome[] | null = null;
    try {
      outcomes = await velocityStore.throttle(nowMs, checks);
    } catch (error) {
      storeDown(error, undefined);
    }
    return deferred.settle(outcomes, mutation);
  }

  const beforeParsing: Plugin<GraphQLContext & PeerContext> = {
    async onRequest({ request, url, serverContext, endResponse }) {
      const peer = serverContext as PeerContext | undefined;
      const checks = checksFor(request, peer?.ip);
      const nowMs = clock.now().getTime();
      if (peer?.rateLimit && mayDefer(request, url.pathname, checks, nowMs)) {
        peer.rateLimit.deferred = deferral(checks, peer, peer.rateLimit);
        return;
      }
      let outcomes: ThrottleOutcome[];
      try {
        outcomes = await velocityStore.throttle(
          nowMs,
          checks.map((c) => c.check),
        );
      } catch (error) {
        storeDown(error, peer?.rateLimit);
        return;
      }
      const refusal = apply(checks, outcomes, peer, nowMs);
      if (refusal) endResponse(new Response(refusal.body, { status: refusal.status, headers: refusal.headers }));
    },

    // A deferred request that carries no idempotency key will not reach the lock: counted here, still
    // before parsing (a key written inline in the document is not seen, so that request is counted here
    // too). Awaiting the store in onExecute instead, for every such request, cost ~0.14 ms of server CPU
    // a request (bench/RESULTS.md, session 8); every hook of this plugin returns a promise only when it
    // has a count to wait for.
    onParams({ params, request, context, setResult }) {
      const slot = (context as PeerContext | undefined)?.rateLimit;
      if (!slot?.deferred || carriesIdempotencyKey(request, params.variables)) return;
      return countDeferred(slot, false).then(() => {
        // refused: answered by the 429 (onResultProcess); the store down: mutations are refused in onExecute
        if (slot.refusal) setResult({ data: null });
      });
    },

    onExecute({ args, setResultAndStopExecution }) {
      if (!(args.contextValue as GraphQLContext).rateLimit?.storeUnavailable) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      setResultAndStopExecution(storeUnavailableResult());
    },

    onResultProcess({ serverContext, setResultProcessor }) {
      const slot = (serverContext as PeerContext | undefined)?.rateLimit;
      const answer = () => {
        const refusal = slot?.refusal;
        if (!refusal) return;
        setResultProcessor(
          (_result, fetchAPI) =>
            new fetchAPI.Response(refusal.body, { status: refusal.status, headers: refusal.headers }),
          'application/json',
        );
      };
      if (!slot?.deferred) return answer();
      // a request that ended before it executed (parse, validation or context error), or a replay
      // answered from memory: counted now
      return countDeferred(slot, false).then(answer);
    },

    onResponse({ serverContext, setResponse }) {
      const slot = (serverContext as PeerContext | undefined)?.rateLimit;
      if (!slot?.deferred) return;
      // answered before any result (yoga refused the request itself): counted now
      return countDeferred(slot, false).then(() => {
        const refusal = slot.refusal;
        if (refusal) setResponse(new Response(refusal.body, { status: refusal.status, headers: refusal.headers }));
      });
    },
  };

  const beforeExecution: Plugin<GraphQLContext & PeerContext> = {
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GraphQLContext;
      if (!context.rateLimit?.deferred) return;
      const operation = getOperationAST(args.document, args.operationName);
      return countDeferred(context.rateLimit, operation?.operation === 'mutation').then((stop) => {
        if (stop) setResultAndStopExecution(stop);
      });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GraphQLContext;
      if (!context.rateLimit?.deferred) return;
      return countDeferred(context.rateLimit, false).then((stop) => {
        if (stop) setResultAndStopExecution(stop);
      });
    },
  };

  return { beforeParsing, beforeExecution };
}

/**
 * Whether a request may take an idempotency lock: an `Idempotency-Key` header, or an
 * `idempotencyKey` in one of its variables' objects (`createPurchase(input: $input)`). A key written
 * inline in the document is not seen: such a request is counted on its own, as any other.
 */
function carriesIdempotencyKey(request: Request, variables: Record<string, unknown> | undefined): boolean {
  if (request.headers.has('idempotency-key')) return true;
  if (!variables) return false;
  for (const value of Object.values(variables)) {
    if (
      value &&
      typeof value === 'object' &&
      typeof (value as { idempotencyKey?: unknown }).idempotencyKey === 'string'
    )
      return true;
  }
  return false;
}

/** A mutation's answer while the rate limit's store cannot count it: 503, nothing ran. */
function storeUnavailableResult(): ExecutionResult {
  const unavailable = new ServiceUnavailableError(
    'A service Coinslot depends on is unavailable. Nothing was changed; try again.',
  );
  return {
    errors: [
      new GraphQLError(unavailable.message, {
        extensions: {
          code: unavailable.code,
          retryable: true,
          retryAfterSeconds: unavailable.retryAfterSeconds,
          http: { status: 503, headers: { 'retry-after': String(unavailable.retryAfterSeconds ?? 1) } },
        },
      }),
    ],
  };
}

/** One API quota as the RateLimit fields show it. */
function stateOf(policy: string, outcome: ThrottleOutcome, periodMs: number): RateLimitState {
  return {
    policy,
    quota: outcome.limit,
    windowSeconds: Math.ceil(periodMs / 1000),
    remaining: outcome.remaining,
    resetSeconds: Math.ceil(outcome.resetMs / 1000),
  };
}
