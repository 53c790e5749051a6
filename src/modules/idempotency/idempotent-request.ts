// The rules of idempotency for one request, whatever the transport: which key applies, the lock and
// its in-progress wait, what a replay is, and which outcomes are stored (only a request that ran to a
// result or a business error) or released (a retryable failure, or input refused before anything
// ran: a corrected retry with the same key must run). src/graphql/idempotency.ts only adapts GraphQL
// to these verbs; the state of a request travels explicitly in an `IdempotencySlot`.
import type { Logger } from 'pino';
import {
  DomainError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  RateLimitedError,
  ServiceUnavailableError,
  ValidationError,
} from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { BeginThrottle, IdempotencyStore, StoredResponse } from '../../shared/ports.js';
import type { ThrottleOutcome } from '../../shared/velocity-port.js';
import { assertIdempotencyKey, idempotencyScope, requestFingerprint } from './idempotency-key.js';

/** What the idempotency rules run on (a subset of the modules' Deps). */
export interface IdempotencyDeps {
  readonly idempotencyStore: IdempotencyStore;
  readonly logger: Logger;
  readonly config: {
    readonly IDEMPOTENCY_LOCK_TTL: number;
    readonly IDEMPOTENCY_RETENTION: number;
    readonly secrets: { readonly tokenPepper: string };
  };
}

/** How long a request waits for the same request running elsewhere before it answers IdempotencyInProgress. */
export const IN_PROGRESS_WAIT_MS = 1_500;

/** What the idempotency layer decided for one request, and what happened to it since. */
export class IdempotentRequest {
  /** The lock's owner token while this request holds the key (null once finished or never taken). */
  ownerToken: string | null = null;
  /** The stored response to send instead of running, when the same request finished before. */
  replay: StoredResponse | null = null;
  /**
   * The API rate limit counted with the lock (IdempotentCall.throttle): its outcomes, all allowed or
   * all refused (then no lock was taken and `rejection` is RateLimited); null when none was asked for
   * or the store could not answer (`rejection` is then ServiceUnavailable).
   */
  throttle: readonly ThrottleOutcome[] | null = null;
  private infraFailure = false;
  private refusedByValidation = false;
  private ran = false;

  private constructor(
    /** The store key (caller, operation, key hash); empty for a request rejected before it had one. */
    readonly scope: string,
    /** The typed error every mutation field of this request answers with, instead of running. */
    readonly rejection: DomainError | null,
  ) {}

  /** A request the rules refused before any lock (a bad key, two keys that differ). */
  static rejected(error: DomainError): IdempotentRequest {
    return new IdempotentRequest('', error);
  }

  /** @internal */
  static scoped(scope: string, rejection: DomainError | null = null): IdempotentRequest {
    return new IdempotentRequest(scope, rejection);
  }

  /** A field ran to a result. */
  markRan(): void {
    this.ran = true;
  }

  /**
   * A field ended with `error`: input validation (not stored unless another field ran), a retryable
   * or unexpected failure (never stored: the key is freed for a retry), or a business error (stored,
   * it is the answer).
   */
  markFailed(error: unknown): void {
    if (error instanceof ValidationError) this.refusedByValidation = true;
    else if (!(error instanceof DomainError) || error.retryable) this.infraFailure = true;
    else this.ran = true;
  }

  /** Whether a response with this HTTP status is the request's answer, to replay for the retention. */
  shouldStore(status: number): boolean {
    const refused = this.refusedByValidation && !this.ran;
    return !this.infraFailure && !refused && status === 200;
  }
}

/** Where one request's `IdempotentRequest` is kept between the transport's hooks (passed on its context). */
export interface IdempotencySlot {
  current: IdempotentRequest | null;
}

export function idempotencySlot(): IdempotencySlot {
  return { current: null };
}

/**
 * The key a request runs under: the `idempotencyKey` of its inputs or the `Idempotency-Key` header.
 * One request carries one key: inputs that name different keys, or a header that differs from
 * them, are a ValidationError; so is a key that is not 1–255 printable characters. Null: no key.
 */
export function pickIdempotencyKey(headerKey: string | null, inputKeys: readonly string[]): string | null {
  const [inputKey] = inputKeys;
  if (inputKeys.some((key) => key !== inputKey))
    throw ValidationError.field('input.idempotencyKey', 'one request carries one idempotency key');
  if (headerKey !== null && inputKey !== undefined && headerKey !== inputKey)
    throw ValidationError.field('input.idempotencyKey', 'differs from the Idempotency-Key header');
  const key = inputKey ?? headerKey;
  if (key === null) return null;
  assertIdempotencyKey(key, inputKey !== undefined ? 'input.idempotencyKey' : 'Idempotency-Key');
  return key;
}

export interface IdempotentCall {
  /** Who is calling: keys are scoped to the caller. */
  readonly principal: Principal;
  /** The operation (for GraphQL: the mutation fields joined by `+`). */
  readonly operation: string;
  readonly key: string;
  /** The arguments the fingerprint binds the key to. */
  readonly args: unknown;
  /**
   * An API rate limit to count in the same store call as the lock (only where the store
   * `throttlesInBegin`): refused, the request is rejected as RateLimited and takes no lock.
   */
  readonly throttle?: BeginThrottle;
}

/**
 * Takes the key for a request: the lock (acquired: run it), the stored response (same request
 * finished: replay it), IdempotencyKeyReused (another request under this key), IdempotencyInProgress
 * (the same request still running after a short wait), ServiceUnavailable (the store cannot answer:
 * nothing runs, fail closed), RateLimited (the API rate limit counted with the lock, `call.throttle`,
 * refused: no lock taken).
 */
export async function beginIdempotentRequest(deps: IdempotencyDeps, call: IdempotentCall): Promise<IdempotentRequest> {
  const { idempotencyStore, config, logger } = deps;
  const scope = idempotencyScope(call.principal, call.operation, call.key);
  const fingerprint = requestFingerprint(config.secrets.tokenPepper, call.operation, call.args);
  // the rate limit is counted once, with the first attempt at the lock (not with each wait)
  let throttle: readonly ThrottleOutcome[] | null = null;
  const scoped = (rejection: DomainError | null = null) => {
    const request = IdempotentRequest.scoped(scope, rejection);
    request.throttle = throttle;
    return request;
  };
  try {
    const deadline = Date.now() + IN_PROGRESS_WAIT_MS;
    for (let wait = 25; ; wait = Math.min(wait * 2, 200)) {
      const begun = await idempotencyStore.begin(
        scope,
        fingerprint,
        config.IDEMPOTENCY_LOCK_TTL,
        throttle === null ? call.throttle : undefined,
      );
      throttle ??= begun.throttle ?? null;
      if (begun.state === 'throttled') {
        const retryAfterMs = Math.max(0, ...(begun.throttle ?? []).map((o) => o.retryAfterMs));
        return scoped(new RateLimitedError(retryAfterMs / 1000, 'Too many requests. Try again later.'));
      }
      if (begun.state === 'acquired') {
        const request = scoped();
        request.ownerToken = begun.ownerToken;
        return request;
      }
      if (begun.fingerprint !== fingerprint) return scoped(new IdempotencyKeyReusedError());
      if (begun.state === 'completed') {
        const request = scoped();
        request.replay = begun.response;
        return request;
      }
      // Same request still running elsewhere: wait a little for it to finish, then say so.
      if (Date.now() + wait > deadline) {
        const seconds = Math.min(5, Math.max(1, Math.ceil(begun.retryAfterMs / 1000)));
        return scoped(new IdempotencyInProgressError(seconds));
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  } catch (error) {
    logger.warn({ err: error }, 'idempotency store unavailable');
    return scoped(error instanceof ServiceUnavailableError ? error : new ServiceUnavailableError());
  }
}

/** The response a request answered with, as the transport wrote it. */
export interface FinishedResponse {
  readonly status: number;
  readonly contentType: string;
  body(): Promise<string>;
}

/**
 * Ends a request that holds its key: stores the exact response for IDEMPOTENCY_RETENTION when it is
 * the answer (`shouldStore`), else releases the key so a retry runs. A store that fails here only
 * leaves the lock to expire; the database's unique keys keep a retry single.
 */
export async function finishIdempotentRequest(
  deps: IdempotencyDeps,
  request: IdempotentRequest,
  response: FinishedResponse,
): Promise<void> {
  const ownerToken = request.ownerToken;
  if (!ownerToken) return;
  request.ownerToken = null;
  const { idempotencyStore, config, logger } = deps;
  try {
    if (!request.shouldStore(response.status)) {
      await idempotencyStore.release(request.scope, ownerToken);
      return;
    }
    await idempotencyStore.complete(
      request.scope,
      ownerToken,
      { status: response.status, headers: { 'content-type': response.contentType }, body: await response.body() },
      config.IDEMPOTENCY_RETENTION,
    );
  } catch (error) {
    logger.warn({ err: error }, 'could not store the idempotent response');
  }
}
