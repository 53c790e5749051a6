import { getArgumentValues, getOperationAST, Kind, type FieldNode } from 'graphql';

import type { Plugin } from 'graphql-yoga';
import {
  type DomainError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  ServiceUnavailableError,
  ValidationError,
} from '../shared/errors.js';
import type { StoredResponse } from '../shared/ports.js';
import { assertIdempotencyKey, idempotencyScope, requestFingerprint } from '../modules/idempotency/index.js';
import type { Deps } from '../modules/service-context.js';
import type { GraphQLContext } from './context.js';

/** What the idempotency layer decided for one HTTP request. */
interface RequestState {
  readonly scope: string;
  ownerToken?: string;
  replay?: StoredResponse;
  rejection?: DomainError;
  /** An infrastructure failure happened: the response is not stored and the key is freed for a retry. */
  infraFailure: boolean;
  /** Input validation refused a mutation field before it ran; stored only if another field ran. */
  refusedByValidation?: boolean;
  /** A mutation field ran (to a result or a business error). */
  ran?: boolean;
}

const states = new WeakMap<Request, RequestState>();

const IN_PROGRESS_WAIT_MS = 1_500;

/**
 * Idempotency for every mutation (yoga plugin). The key is the `idempotencyKey` input field or the
 * `Idempotency-Key` header; scope = principal + operation; fingerprint = operation + canonical arguments.
 * First request: lock (SET NX PX), run, store the exact response. Replay: the stored bytes with
 * `Idempotent-Replayed: true`. Reuse with other arguments → IdempotencyKeyReused; still running →
 * IdempotencyInProgress. Not stored (the lock is released, a retry runs): retryable failures, and
 * requests refused by input validation before anything ran (variables that do not coerce: HTTP 400;
 * a ValidationError in every field), as Stripe does. Only an HTTP 200 that ran is stored.
 */
export function idempotencyPlugin(deps: Deps): Plugin<GraphQLContext> {
  const { idempotencyStore, config, logger } = deps;
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const context = args.contextValue as GraphQLContext;
      const request = context.request;
      const mutationType = args.schema.getMutationType();
      if (!mutationType) return;

      const fields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
      const headerKey = request.headers.get('idempotency-key');
      const calls: { field: string; args: Record<string, unknown> }[] = [];
      let inputKey: string | undefined;
      try {
        for (const node of fields) {
          const definition = mutationType.getFields()[node.name.value];
          if (!definition) return;
          const values = getArgumentValues(definition, node, args.variableValues ?? {});
          const input = values.input as { idempotencyKey?: unknown } | undefined;
          if (typeof input?.idempotencyKey === 'string') {
            if (inputKey !== undefined && inputKey !== input.idempotencyKey) {
              throw ValidationError.field('input.idempotencyKey', 'one request carries one idempotency key');
            }
            inputKey = input.idempotencyKey;
          }
          calls.push({ field: node.name.value, args: values });
        }
      } catch (error) {
        if (error instanceof ValidationError) {
          states.set(request, { scope: '', rejection: error, infraFailure: false });
        }
        return; // arguments that do not coerce fail in execution with GraphQL's own error
      }
      if (headerKey !== null && inputKey !== undefined && headerKey !== inputKey) {
        states.set(request, {
          scope: '',
          rejection: ValidationError.field('input.idempotencyKey', 'differs from the Idempotency-Key header'),
          infraFailure: false,
        });
        return;
      }
      const key = inputKey ?? headerKey ?? undefined;
      if (key === undefined) return;
      try {
        assertIdempotencyKey(key, inputKey !== undefined ? 'input.idempotencyKey' : 'Idempotency-Key');
      } catch (error) {
        states.set(request, { scope: '', rejection: error as ValidationError, infraFailure: false });
        return;
      }

      const operationName = calls.map((c) => c.field).join('+');
      const scope = idempotencyScope(context.principal, operationName, key);
      const fingerprint = requestFingerprint(config.secrets.tokenPepper, operationName, calls);
      const state: RequestState = { scope, infraFailure: false };
      states.set(request, state);
      try {
        const deadline = Date.now() + IN_PROGRESS_WAIT_MS;
        for (let wait = 25; ; wait = Math.min(wait * 2, 200)) {
          const begun = await idempotencyStore.begin(scope, fingerprint, config.IDEMPOTENCY_LOCK_TTL);
          if (begun.state === 'acquired') {
            state.ownerToken = begun.ownerToken;
            return;
          }
          if (begun.fingerprint !== fingerprint) {
            state.rejection = new IdempotencyKeyReusedError();
            return;
          }
          if (begun.state === 'completed') {
            state.replay = begun.response;
            setResultAndStopExecution({ data: null });
            return;
          }
          // Same request still running elsewhere: wait a little for it to finish, then say so.
          if (Date.now() + wait > deadline) {
            state.rejection = new IdempotencyInProgressError(
              Math.min(5, Math.max(1, Math.ceil(begun.retryAfterMs / 1000))),
            );
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      } catch (error) {
        logger.warn({ err: error }, 'idempotency store unavailable');
        state.rejection = error instanceof ServiceUnavailableError ? error : new ServiceUnavailableError();
      }
    },

    onResultProcess({ request, setResultProcessor }) {
      const replay = states.get(request)?.replay;
      if (!replay) return;
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

    async onResponse({ request, response }) {
      const state = states.get(request);
      if (!state?.ownerToken) return;
      const ownerToken = state.ownerToken;
      state.ownerToken = undefined;
      try {
        const refused = state.refusedByValidation === true && state.ran !== true;
        if (state.infraFailure || refused || response.status !== 200) {
          await idempotencyStore.release(state.scope, ownerToken);
          return;
        }
        const body = await response.clone().text();
        const contentType = response.headers.get('content-type') ?? 'application/json';
        await idempotencyStore.complete(
          state.scope,
          ownerToken,
          { status: response.status, headers: { 'content-type': contentType }, body },
          config.IDEMPOTENCY_RETENTION,
        );
      } catch (error) {
        // The lock expires by itself; a retry then runs again and the database backstop keeps it single.
        logger.warn({ err: error }, 'could not store the idempotent response');
      }
    },
  };
}

/**
 * For the mutation guard (a Pothos plugin inside the errors plugin): the rejection decided for this
 * request, if any, and a way to mark the request as not storable after a retryable failure.
 */
export function idempotencyStateOf(
  request: Request,
): { rejection?: DomainError; markInfraFailure(): void; markRefusedByValidation(): void; markRan(): void } | undefined {
  const state = states.get(request);
  if (!state) return undefined;
  return {
    rejection: state.rejection,
    markInfraFailure: () => {
      state.infraFailure = true;
    },
    markRefusedByValidation: () => {
      state.refusedByValidation = true;
    },
    markRan: () => {
      state.ran = true;
    },
  };
}
