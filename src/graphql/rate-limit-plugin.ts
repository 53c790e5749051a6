import { createHash } from 'node:crypto';
import { getOperationAST, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ServiceUnavailableError } from '../shared/errors.js';
import { clientIp } from '../http/client-ip.js';
import type { ThrottleCheck, ThrottleOutcome } from '../shared/velocity-port.js';
import type { Deps } from '../modules/service-context.js';
import type { GraphQLContext } from './context.js';
import type { RateLimitSlot } from './request-slots.js';
import { noteRateLimit, rateLimitFields, type RateLimitState, type RetryAfterSlot } from './retry-after.js';

/** The peer address and the request's slots the server passes along (composition/app.ts ServerContext). */
interface PeerContext {
  readonly ip?: string | null;
  readonly retryAfter?: RetryAfterSlot;
  readonly rateLimit?: RateLimitSlot;
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
 * Redis unreachable: reads (queries, subscriptions) go through unlimited — fail open, so the
 * catalog and history stay readable in an outage — while mutations are refused with
 * SERVICE_UNAVAILABLE (HTTP 503): they fail closed, as money-moving ones would anyway.
 */
export function rateLimitPlugin(deps: Deps): Plugin<GraphQLContext & PeerContext> {
  const { config, clock, velocityStore, logger } = deps;
  const periodMs = config.API_RATE_LIMIT_PERIOD;
  // one warning per 10 s of outage, not one per request
  let lastWarnAt = 0;

  /** The checks of a request, each with the policy name its RateLimit items carry. */
  function checksFor(request: Request, peer: string | null | undefined): { policy: string; check: ThrottleCheck }[] {
    const checks = [
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

  return {
    async onRequest({ request, serverContext, endResponse }) {
      const peer = serverContext as PeerContext | undefined;
      const checks = checksFor(request, peer?.ip);
      let outcomes: ThrottleOutcome[];
      try {
        outcomes = await velocityStore.throttle(
          clock.now().getTime(),
          checks.map((c) => c.check),
        );
      } catch (error) {
        if (!(error instanceof ServiceUnavailableError)) throw error;
        if (Date.now() - lastWarnAt > 10_000) {
          lastWarnAt = Date.now();
          logger.warn({ err: error }, 'API rate limit store unavailable: reads pass, mutations are refused');
        }
        if (peer?.rateLimit) peer.rateLimit.storeUnavailable = true;
        return;
      }
      const refused = outcomes.filter((o) => !o.allowed && o.retryAfterMs > 0);
      const shown = outcomes.map((o, i) => stateOf(checks[i]?.policy ?? 'api', o, periodMs));
      const slot = peer?.retryAfter;
      if (slot) for (const state of shown) noteRateLimit(slot, state);
      if (!outcomes.every((o) => o.allowed)) {
        const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(1, ...refused.map((o) => o.retryAfterMs)) / 1000));
        const body = {
          errors: [
            {
              message: 'Too many requests. Try again later.',
              extensions: { code: 'RATE_LIMITED', retryable: true, retryAfterSeconds },
            },
          ],
        };
        endResponse(
          new Response(JSON.stringify(body), {
            status: 429,
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'retry-after': String(retryAfterSeconds),
              ...rateLimitFields(shown),
            },
          }),
        );
      }
    },

    onExecute({ args, setResultAndStopExecution }) {
      if (!(args.contextValue as GraphQLContext).rateLimit?.storeUnavailable) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const unavailable = new ServiceUnavailableError(
        'A service Coinslot depends on is unavailable. Nothing was changed; try again.',
      );
      setResultAndStopExecution({
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
      });
    },
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
