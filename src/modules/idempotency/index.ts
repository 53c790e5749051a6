// The idempotency module: key rules, scopes and request fingerprints; the store is a port (src/shared/ports.ts).
export { assertIdempotencyKey, idempotencyScope, requestFingerprint } from './idempotency-key.js';
export { canonicalJson } from './canonical-json.js';
