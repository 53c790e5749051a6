import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Keys derived once from the shared secret, each for one purpose, so that none doubles as another. */
export interface AcquirerKeys {
  /** The merchant account this secret stands for (`acct_…`): every row is scoped to it. */
  readonly account: string;
  readonly cardEncryption: Buffer;
  readonly cvcVerifier: Buffer;
  readonly requestHash: Buffer;
  readonly secretDigest: Buffer;
}

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'coinslot-sandbox-acquirer', purpose, 32));
}

/** Derives the acquirer's keys from its shared secret (HKDF-SHA256). */
export function deriveKeys(secret: string): AcquirerKeys {
  return {
    account: `acct_${derive(secret, 'merchant-account').subarray(0, 16).toString('base64url')}`,
    cardEncryption: derive(secret, 'card-number-encryption'),
    cvcVerifier: derive(secret, 'cvc-verifier'),
    requestHash: derive(secret, 'idempotency-request-hash'),
    secretDigest: createHmac('sha256', 'bearer').update(secret).digest(),
  };
}

/** Compares a presented bearer secret with the configured one in constant time. */
export function secretMatches(keys: AcquirerKeys, presented: string): boolean {
  const digest = createHmac('sha256', 'bearer').update(presented).digest();
  return timingSafeEqual(digest, keys.secretDigest);
}

/** AES-256-GCM with a fresh 96-bit IV; the token is the associated data, binding the ciphertext to its row. */
export function encryptCardNumber(keys: AcquirerKeys, token: string, number: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.cardEncryption, iv);
  cipher.setAAD(Buffer.from(token, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(number, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** Decrypts what encryptCardNumber wrote; throws if the ciphertext, tag or token do not match. */
export function decryptCardNumber(keys: AcquirerKeys, token: string, sealed: string): string {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || !ciphertext) throw new Error('unknown card ciphertext format');
  const decipher = createDecipheriv('aes-256-gcm', keys.cardEncryption, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(token, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}

/** A keyed verifier of the CVC, bound to the token: lets a step-up check the CVC without keeping it. */
export function cvcVerifier(keys: AcquirerKeys, token: string, cvc: string): string {
  return createHmac('sha256', keys.cvcVerifier).update(`${token}:${cvc}`).digest('base64url');
}

export function cvcMatches(keys: AcquirerKeys, token: string, cvc: string, verifier: string): boolean {
  const expected = Buffer.from(cvcVerifier(keys, token, cvc));
  const stored = Buffer.from(verifier);
  return expected.length === stored.length && timingSafeEqual(expected, stored);
}

/** JSON with object keys sorted, so that the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Keyed hash of a request; keyed because the body of a token request holds a card number. */
export function requestHash(keys: AcquirerKeys, method: string, path: string, body: unknown): string {
  return createHmac('sha256', keys.requestHash)
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('base64url');
}

/** Standard Webhooks signature: base64 HMAC-SHA256 of `id.timestamp.body` under the shared secret. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}
