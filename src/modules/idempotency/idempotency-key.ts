import { createHash, createHmac } from 'node:crypto';
import { ValidationError } from '../../shared/errors.js';
import { principalKey, type Principal } from '../../shared/principal.js';
import { canonicalJson } from './canonical-json.js';

/** Keys are 1–255 printable ASCII characters (the IETF draft's sf-string, as Stripe accepts). */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export function assertIdempotencyKey(key: string, path = 'input.idempotencyKey'): void {
  if (!KEY_PATTERN.test(key) || key.trim() === '') {
    throw ValidationError.field(path, 'must be 1 to 255 printable characters');
  }
}

/** The store key: the caller's principal plus the operation, so two callers' keys never collide. */
export function idempotencyScope(principal: Principal, operation: string, key: string): string {
  const keyHash = createHash('sha256').update(key).digest('base64url');
  return `idem:${principalKey(principal)}:${operation}:${keyHash}`;
}

/**
 * A keyed hash (HMAC-SHA256 with a server secret) of the operation and its arguments in canonical
 * form: a reused key with other arguments differs, and arguments such as card fields cannot be
 * guessed back from what Redis keeps.
 */
export function requestFingerprint(secret: string, operation: string, args: unknown): string {
  return createHmac('sha256', secret).update(operation).update('\n').update(canonicalJson(args)).digest('base64url');
}
