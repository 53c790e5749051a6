import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { IdempotencyStore, StoredResponse } from '../shared/ports.js';

interface SealingKey {
  readonly id: string;
  readonly key: Buffer;
}

const VERSION = 'enc1';

// Any long configured string becomes exactly 32 bytes for AES-256 through HKDF; another label gives
// a short id that names the key in each value without revealing anything of it.
function sealingKey(material: string): SealingKey {
  const key = Buffer.from(hkdfSync('sha256', material, '', 'coinslot idempotency responses v1', 32));
  const id = Buffer.from(hkdfSync('sha256', material, '', 'coinslot idempotency key id', 6)).toString('hex');
  return { id, key };
}

/** Thrown when a stored response opens with none of the configured keys (a key dropped too early). */
export class UnreadableStoredResponse extends Error {}

/**
 * Encrypts every response body an idempotency store keeps (AES-256-GCM, a fresh IV each time, the
 * store key as additional data so that a value copied under another key does not open). Every
 * response, not only those that carry credentials: the set of mutations that hand out a secret
 * (`sk_`, `whsec_`, `gt_`, `ps_`, `ds_`…) grows with the API, and a list to keep current is a
 * leak waiting for its next entry; the cost is one AES-GCM pass on store and on a replay read from
 * Redis (the replay cache above this store keeps plaintext in process memory only).
 * `keys[0]` seals; every key opens (a rotation keeps the previous key for the retention).
 */
export function withEncryptedResponses(store: IdempotencyStore, keys: readonly string[]): IdempotencyStore {
  if (keys.length === 0) throw new Error('withEncryptedResponses needs at least one key');
  const ring = keys.map(sealingKey);
  const current = ring[0]!;
  const byId = new Map(ring.map((k) => [k.id, k]));

  function seal(storeKey: string, body: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv);
    cipher.setAAD(Buffer.from(storeKey));
    // JSON escapes lone surrogates, which UTF-8 would replace: the body comes back identical
    const sealed = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
    return `${VERSION}:${current.id}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  function open(storeKey: string, body: string): string {
    const [version, keyId, payload] = body.split(':');
    const key = keyId === undefined ? undefined : byId.get(keyId);
    if (version !== VERSION || payload === undefined || !key)
      throw new UnreadableStoredResponse(
        'stored idempotent response is not sealed with IDEMPOTENCY_ENCRYPTION_KEY or IDEMPOTENCY_ENCRYPTION_KEY_PREVIOUS',
      );
    const raw = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(storeKey));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as string;
  }

  return {
    throttlesInBegin: store.throttlesInBegin ?? false,
    async begin(key, fingerprint, lockTtlMs, throttle) {
      const begun = await store.begin(key, fingerprint, lockTtlMs, throttle);
      if (begun.state !== 'completed') return begun;
      const response: StoredResponse = { ...begun.response, body: open(key, begun.response.body) };
      return { ...begun, response };
    },
    complete(key, ownerToken, response, retentionMs) {
      return store.complete(key, ownerToken, { ...response, body: seal(key, response.body) }, retentionMs);
    },
    release: (key, ownerToken) => store.release(key, ownerToken),
  };
}
