import { getArgumentValues, getOperationAST, Kind, type FieldNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import {
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  ServiceUnavailableError,
  ValidationError,
} from '../shared/errors.js';
import {
  beginIdempotentRequest,
  finishIdempotentRequest,
  IdempotentRequest,
  pickIdempotencyKey,
  type IdempotencyDeps,
  type IdempotencySlot,
} from '../modules/idempotency/index.js';
import type { GraphQLContext } from './context.js';
import type { RateLimitSlot } from './request-slots.js';
import type { BusinessMetrics } from '../shared/metrics-port.js';

/** The server context of a request: the app puts a fresh idempotency slot on each one. */
interface WithIdempotencySlot {
  readonly idempotency?: IdempotencySlot;
  readonly rateLimit?: RateLimitSlot;
}

/**
 * Idempotency for every mutation: a thin yoga adapter over `modules/idempotency` (which holds the
 * rules). It reads the key (`idempotencyKey` in the inputs, or the `Idempotency-Key` header) and the
 * arguments from the document, begins the request, replays a stored response byte for byte with
 * `Idempotent-Replayed: true`, and finishes it with the response the client got. The request's
 * state sits in the slot on its context (`ctx.idempotency`), where the mutation guard
 * (mutation-guard-plugin.ts) reads the rejection and records how each field ended. A request whose
 * API rate limit is deferred (rate-limit-plugin.ts) has it counted with the lock, in one store call.
 */
export function idempotencyPlugin(
  deps: IdempotencyDeps & { readonly metrics: BusinessMetrics },
): Plugin<GraphQLContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const context = args.contextValue as GraphQLContext;
      const mutationType = args.schema.getMutationType();
      if (!mutationType) return;

      const fields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
      const calls: { field: string; args: Record<string, unknown> }[] = [];
      const inputKeys: string[] = [];
      for (const node of fields) {
        const definition = mutationType.getFields()[node.name.value];
        if (!definition) return;
        let values: Record<string, unknown>;
        try {
          values = getArgumentValues(definition, node, args.variableValues ?? {});
        } catch {
          return; // arguments that do not coerce fail in execution with GraphQL's own error
        }
        const input = values.input as { idempotencyKey?: unknown } | undefined;
        if (typeof input?.idempotencyKey === 'string') inputKeys.push(input.idempotencyKey);
        calls.push({ field: node.name.value, args: values });
      }
      let key: string | null;
      try {
        key = pickIdempotencyKey(context.request.headers.get('idempotency-key'), inputKeys);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        context.idempotency.current = IdempotentRequest.rejected(error);
        return;
      }
      if (key === null) return;
      const operationName = calls.map((c) => c.field).join('+');
      // a request whose API rate limit was deferred (rate-limit-plugin.ts) counts it here, with the lock
      const deferred = context.rateLimit.deferred;
      const request = await beginIdempotentRequest(deps, {
        principal: context.principal,
        operation: operationName,
        key,
        args: calls,
        ...(deferred ? { throttle: deferred.throttle() } : {}),
      });
      context.idempotency.current = request;
      if (deferred) {
        // Counted with the lock, or the store down (fail closed, as before parsing); else (a replay
        // answered from memory, idempotency-replay-cache.ts) counted now, on its own, before answering.
        const counted = request.throttle !== null || request.rejection instanceof ServiceUnavailableError;
        if (counted) context.rateLimit.deferred = null;
        // refused by the rate limit (no lock was taken) or its store down: the same answer as before parsing
        const stop = counted ? deferred.settle(request.throttle, true) : await deferred.count(true);
        if (stop) {
          setResultAndStopExecution(stop);
          return;
        }
      }
      if (request.replay) deps.metrics.idempotency('replayed');
      else if (request.rejection instanceof IdempotencyKeyReusedError) deps.metrics.idempotency('key_reused');
      else if (request.rejection instanceof IdempotencyInProgressError) deps.metrics.idempotency('in_progress');
      if (request.replay) setResultAndStopExecution({ data: null });
    },

    onResultProcess({ serverContext, setResultProcessor }) {
      const slots = serverContext as WithIdempotencySlot;
      const replay = slots.idempotency?.current?.replay;
      // a replay the API rate limit refused is answered by the 429 (rate-limit-plugin.ts)
      if (!replay || slots.rateLimit?.refusal) return;
      setResultProcessor(
        // yoga's own Response class: the server writes its string body at once (the global one's
        // body would be streamed, several times the CPU of the replay itself)
        (_result, fetchAPI) =>
          new fetchAPI.Response(replay.body, {
            status: replay.status,
            headers: { ...replay.headers, 'idempotent-replayed': 'true' },
          }),
        replay.headers['content-type'] ?? 'application/json',
      );
    },

    async onResponse({ serverContext, response }) {
      const request = (serverContext as WithIdempotencySlot).idempotency?.current;
      if (!request?.ownerToken) return;
      await finishIdempotentRequest(deps, request, {
        status: response.status,
        contentType: response.headers.get('content-type') ?? 'application/json',
        body: () => response.clone().text(),
      });
    },
  };
}
