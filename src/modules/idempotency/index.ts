// The idempotency module: the rules of one idempotent request (key choice, lock, replay, what is
// stored), key rules, scopes and request fingerprints; the store is a port (src/shared/ports.ts).
export { assertIdempotencyKey, idempotencyScope, requestFingerprint } from './idempotency-key.js';
export { canonicalJson } from './canonical-json.js';
export {
  beginIdempotentRequest,
  finishIdempotentRequest,
  idempotencySlot,
  IdempotentRequest,
  IN_PROGRESS_WAIT_MS,
  pickIdempotencyKey,
  type FinishedResponse,
  type IdempotencyDeps,
  type IdempotencySlot,
  type IdempotentCall,
} from './idempotent-request.js';
