import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { newReceiptSigningJwk } from '../../shared/receipt-signing-key.js';
import type { Settings } from '../../shared/settings.js';

/**
 * The receipt keys of RECEIPT_SIGNING_KEYS (or DATA_DIR/secrets/receipt_signing_keys): a JSON array of
 * private EC P-256 JWKs. The first signs; the others are retired and only published, so that receipts
 * they signed keep verifying. A retired key may carry `retired_at` (ISO 8601): it is published until
 * retired_at + RECEIPT_TTL, when the last receipt it signed has expired, then dropped from the JWKS.
 */
export interface ReceiptKeyRing {
  readonly kid: string;
  /** The current private key, for node:crypto's ECDSA (a fifth of WebCrypto's cost per receipt through jose). */
  readonly signingKey: KeyObject;
  /** The public halves, as served at /.well-known/jwks.json. */
  readonly publicKeys: readonly JWK[];
}

interface StoredJwk extends JWK {
  retired_at?: string;
}

export class ReceiptKeyError extends Error {
  override readonly name = 'ReceiptKeyError';
}

function parseKeys(raw: string): StoredJwk[] {
  let keys: unknown;
  try {
    keys = JSON.parse(raw);
  } catch {
    throw new ReceiptKeyError('RECEIPT_SIGNING_KEYS must be a JSON array of EC P-256 private JWKs');
  }
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ReceiptKeyError('RECEIPT_SIGNING_KEYS must be a non-empty JSON array');
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    const jwk = key as StoredJwk;
    if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) {
      throw new ReceiptKeyError(`RECEIPT_SIGNING_KEYS[${i}] must be an EC P-256 private JWK (kty, crv, x, y, d)`);
    }
    if (!jwk.kid) throw new ReceiptKeyError(`RECEIPT_SIGNING_KEYS[${i}] needs a kid`);
    if (kids.has(jwk.kid)) throw new ReceiptKeyError(`RECEIPT_SIGNING_KEYS: kid ${jwk.kid} appears twice`);
    kids.add(jwk.kid);
    if (jwk.retired_at !== undefined && Number.isNaN(Date.parse(jwk.retired_at))) {
      throw new ReceiptKeyError(`RECEIPT_SIGNING_KEYS[${i}].retired_at must be an ISO 8601 date`);
    }
  }
  return keys as StoredJwk[];
}

function publicHalf(jwk: StoredJwk): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: 'ES256', use: 'sig' };
}

const rings = new WeakMap<object, Promise<ReceiptKeyRing>>();

/** The parsed key ring of a configuration (parsed once); throws ReceiptKeyError on a bad configuration. */
export function receiptKeyRing(config: Pick<Settings, 'secrets'>): Promise<ReceiptKeyRing> {
  let ring = rings.get(config);
  if (!ring) {
    ring = (async () => {
      const keys = parseKeys(config.secrets.receiptSigningKeys);
      const current = keys[0]!;
      const { kty, crv, x, y, d } = current;
      let signingKey: KeyObject;
      try {
        signingKey = createPrivateKey({ key: { kty, crv, x, y, d } as never, format: 'jwk' });
      } catch {
        throw new ReceiptKeyError('RECEIPT_SIGNING_KEYS[0] is not a valid EC P-256 private key');
      }
      return { kid: current.kid!, signingKey, publicKeys: keys.map(publicHalf) };
    })();
    rings.set(config, ring);
    ring.catch(() => rings.delete(config));
  }
  return ring;
}

/** The public keys to publish at `now`: the current one and every retired one whose receipts may still be valid. */
export function publishedKeys(
  ring: ReceiptKeyRing,
  config: Pick<Settings, 'secrets' | 'RECEIPT_TTL'>,
  now: Date,
): JWK[] {
  const stored = parseKeys(config.secrets.receiptSigningKeys);
  return ring.publicKeys.filter((_, i) => {
    const retiredAt = stored[i]?.retired_at;
    return i === 0 || retiredAt === undefined || Date.parse(retiredAt) + config.RECEIPT_TTL > now.getTime();
  });
}

/**
 * Rotation of a key ring (the JSON of RECEIPT_SIGNING_KEYS): a new key goes first and signs from now
 * on, the previous signer is marked retired_at now, and keys retired longer than `ttlMs` ago are dropped.
 * Write the result back where the keys live (the environment, or DATA_DIR/secrets/receipt_signing_keys).
 */
export function rotateReceiptKeys(json: string, now: Date, ttlMs: number): string {
  const keys = parseKeys(json);
  const kept = keys
    .map((key, i) => (i === 0 ? { ...key, retired_at: now.toISOString() } : key))
    .filter((key) => key.retired_at === undefined || Date.parse(key.retired_at) + ttlMs > now.getTime());
  return JSON.stringify([newReceiptSigningJwk(), ...kept]);
}
