import type { IdempotencyBegin, StoredResponse } from '../shared/ports.js';

/** What an idempotency key holds, in Redis (as JSON) and in the in-process store alike. */
export type IdempotencyRecord =
  | { readonly state: 'running'; readonly owner: string; readonly fingerprint: string }
  | { readonly state: 'completed'; readonly fingerprint: string; readonly response: StoredResponse };

/** Rejects a duration or limit that is not a positive integer (a caller's bug, not a store failure). */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/** Turns a held key into the answer of begin(); `remainingMs` is how long the running lock still lives. */
export function heldRecordToBegin(record: IdempotencyRecord, remainingMs: number): IdempotencyBegin {
  if (record.state === 'running') {
    return { state: 'in_progress', fingerprint: record.fingerprint, retryAfterMs: Math.max(1, remainingMs) };
  }
  return {
    state: 'completed',
    fingerprint: record.fingerprint,
    response: copyResponse(record.response),
    remainingMs: Math.max(0, remainingMs),
  };
}

/** Parses a record stored as JSON by the Redis store. */
export function parseStoredRecord(json: string): IdempotencyRecord {
  const record = JSON.parse(json) as IdempotencyRecord;
  if (record.state !== 'running' && record.state !== 'completed') throw new Error('unknown idempotency record state');
  return record;
}

/** A copy that shares nothing mutable with the caller's object. */
export function copyResponse(response: StoredResponse): StoredResponse {
  return { status: response.status, headers: { ...response.headers }, body: response.body };
}

/** Validates the arguments common to every rate limiter call. */
export function assertWindow(limit: number | null, windowMs: number): void {
  if (limit !== null) assertPositiveInteger('limit', limit);
  assertPositiveInteger('windowMs', windowMs);
}
