// The rules of one idempotent request (modules/idempotency), on the in-process store twin: which key
// applies, lock / replay / reuse / in progress / store down, and which outcomes are kept for replay.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyStore } from '../../src/adapters/memory/memory-idempotency-store.js';
import { createMemoryApiThrottle } from '../../src/adapters/memory/memory-api-throttle.js';
import {
  beginIdempotentRequest,
  finishIdempotentRequest,
  IdempotentRequest,
  pickIdempotencyKey,
  type IdempotencyDeps,
} from '../../src/modules/idempotency/index.js';
import {
  DomainError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RateLimitedError,
  ServiceUnavailableError,
  ValidationError,
} from '../../src/shared/errors.js';
import type { IdempotencyStore } from '../../src/shared/ports.js';
import type { Principal } from '../../src/shared/principal.js';

const player: Principal = { kind: 'anonymous' };

function deps(store: IdempotencyStore = createMemoryIdempotencyStore()): IdempotencyDeps {
  return {
    idempotencyStore: store,
    logger: pino({ level: 'silent' }),
    config: { IDEMPOTENCY_LOCK_TTL: 60_000, IDEMPOTENCY_RETENTION: 86_400_000, secrets: { tokenPepper: 'pepper' } },
  };
}

const call = (args: unknown = { itemId: 'life' }, key = 'key-1') => ({
  principal: player,
  operation: 'createPurchase',
  key,
  args,
});

const ok = (body = '{"data":{"ok":true}}') => ({
  status: 200,
  contentType: 'application/json',
  body: async () => body,
});

describe('pickIdempotencyKey', () => {
  it('takes the input key, else the header, else none', () => {
    expect(pickIdempotencyKey(null, ['a'])).toBe('a');
    expect(pickIdempotencyKey('h', [])).toBe('h');
    expect(pickIdempotencyKey('a', ['a', 'a'])).toBe('a');
    expect(pickIdempotencyKey(null, [])).toBeNull();
  });

  it('refuses two different keys in one request, and a header that differs from the input', () => {
    expect(() => pickIdempotencyKey(null, ['a', 'b'])).toThrow(ValidationError);
    expect(() => pickIdempotencyKey('h', ['a'])).toThrow(ValidationError);
  });

  it('refuses an empty, blank, too long or non-printable key', () => {
    for (const key of ['', '   ', 'x'.repeat(256), 'tab\there', 'é'])
      expect(() => pickIdempotencyKey(null, [key])).toThrow(ValidationError);
  });
});

describe('beginIdempotentRequest and finishIdempotentRequest', () => {
  it('runs the first request, then replays its exact response to the same request', async () => {
    const d = deps();
    const first = await beginIdempotentRequest(d, call());
    expect(first.ownerToken).not.toBeNull();
    expect(first.rejection).toBeNull();
    first.markRan();
    await finishIdempotentRequest(d, first, ok('{"data":{"n":1}}'));

    const again = await beginIdempotentRequest(d, call());
    expect(again.ownerToken).toBeNull();
    expect(again.replay).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"data":{"n":1}}',
    });
  });

  it('answers IdempotencyKeyReused to the same key with other arguments, and keeps the first response', async () => {
    const d = deps();
    const first = await beginIdempotentRequest(d, call({ itemId: 'life' }));
    await finishIdempotentRequest(d, first, ok());
    const other = await beginIdempotentRequest(d, call({ itemId: 'shield' }));
    expect(other.rejection).toBeInstanceOf(IdempotencyKeyReusedError);
    expect((await beginIdempotentRequest(d, call({ itemId: 'life' }))).replay).not.toBeNull();
  });

  it('keeps keys of different callers and operations apart', async () => {
    const d = deps();
    await finishIdempotentRequest(d, await beginIdempotentRequest(d, call()), ok());
    const otherCaller = await beginIdempotentRequest(d, { ...call(), principal: { kind: 'operator' } as Principal });
    expect(otherCaller.ownerToken).not.toBeNull();
    const otherOperation = await beginIdempotentRequest(d, { ...call(), operation: 'confirmPurchase' });
    expect(otherOperation.ownerToken).not.toBeNull();
  });

  it('answers IdempotencyInProgress while the same request still runs', async () => {
    const d = deps();
    const running = await beginIdempotentRequest(d, call());
    expect(running.ownerToken).not.toBeNull();
    const second = await beginIdempotentRequest(d, call());
    expect(second.rejection).toBeInstanceOf(IdempotencyInProgressError);
    expect(second.ownerToken).toBeNull();
  });

  it('fails closed with ServiceUnavailable when the store cannot answer', async () => {
    const down: IdempotencyStore = {
      begin: async () => {
        throw new Error('connection refused');
      },
      complete: async () => false,
      release: async () => {},
    };
    const request = await beginIdempotentRequest(deps(down), call());
    expect(request.rejection).toBeInstanceOf(ServiceUnavailableError);
    expect(request.ownerToken).toBeNull();
  });

  it('frees the key after a retryable failure, so the retry runs again', async () => {
    const d = deps();
    const first = await beginIdempotentRequest(d, call());
    first.markFailed(new ServiceUnavailableError());
    await finishIdempotentRequest(d, first, ok());
    const retry = await beginIdempotentRequest(d, call());
    expect(retry.ownerToken).not.toBeNull();
    expect(retry.replay).toBeNull();
  });

  it('counts an API rate limit with the lock: once, however long it waits for the same request running', async () => {
    const apiThrottle = createMemoryApiThrottle();
    const d = deps(createMemoryIdempotencyStore(undefined, { apiThrottle }));
    const throttle = { nowMs: 1_000, checks: [{ key: 'cred:a', limit: 3, periodMs: 60_000 }] };
    const running = await beginIdempotentRequest(d, { ...call(), throttle });
    expect(running.ownerToken).not.toBeNull();
    expect(running.throttle).toEqual([expect.objectContaining({ allowed: true, remaining: 2 })]);
    // the second waits (several begins) for the first, then answers in progress: counted once
    const second = await beginIdempotentRequest(d, { ...call(), throttle });
    expect(second.rejection).toBeInstanceOf(IdempotencyInProgressError);
    expect(second.throttle).toEqual([expect.objectContaining({ allowed: true, remaining: 1 })]);
    expect(apiThrottle.throttle(1_000, throttle.checks)[0]?.remaining).toBe(0);
  });

  it('refuses with RateLimited and takes no lock when the rate limit counted with it refuses', async () => {
    const apiThrottle = createMemoryApiThrottle();
    const d = deps(createMemoryIdempotencyStore(undefined, { apiThrottle }));
    const throttle = { nowMs: 1_000, checks: [{ key: 'cred:b', limit: 1, periodMs: 60_000 }] };
    await beginIdempotentRequest(d, { ...call(undefined, 'other'), throttle });
    const refused = await beginIdempotentRequest(d, { ...call(), throttle });
    expect(refused.rejection).toBeInstanceOf(RateLimitedError);
    expect(refused.rejection?.retryAfterSeconds).toBe(60);
    expect(refused.ownerToken).toBeNull();
    expect(refused.throttle).toEqual([expect.objectContaining({ allowed: false, retryAfterMs: 60_000 })]);
    expect((await beginIdempotentRequest(d, call())).ownerToken).not.toBeNull();
  });

  it('frees the key after a response other than 200', async () => {
    const d = deps();
    const first = await beginIdempotentRequest(d, call());
    first.markRan();
    await finishIdempotentRequest(d, first, { ...ok(), status: 400 });
    expect((await beginIdempotentRequest(d, call())).ownerToken).not.toBeNull();
  });
});

describe('IdempotentRequest.shouldStore', () => {
  const fresh = () => IdempotentRequest.rejected(ValidationError.field('input', 'x'));

  it('stores a business error: it is the answer', () => {
    const request = fresh();
    request.markFailed(new NotFoundError('Item'));
    expect(request.shouldStore(200)).toBe(true);
  });

  it('does not store input refused by validation before anything ran, but does once another field ran', () => {
    const refused = fresh();
    refused.markFailed(ValidationError.field('input.amount', 'must be positive'));
    expect(refused.shouldStore(200)).toBe(false);
    refused.markRan();
    expect(refused.shouldStore(200)).toBe(true);
  });

  it('never stores after an unexpected or retryable failure', () => {
    const unexpected = fresh();
    unexpected.markFailed(new Error('boom'));
    expect(unexpected.shouldStore(200)).toBe(false);
    const retryable = fresh();
    retryable.markRan();
    retryable.markFailed(new ServiceUnavailableError());
    expect(retryable.shouldStore(200)).toBe(false);
    expect(new ServiceUnavailableError()).toBeInstanceOf(DomainError);
  });
});
