import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Deps } from '../service-context.js';

/**
 * Encryption at rest of the games' webhook secrets: AES-256-GCM under a key derived (HKDF) from
 * WEBHOOK_SECRET_KEY, the game id as additional data so that a ciphertext copied to another game
 * does not open. A sealed value names its key: `v2:<key id>:<base64url iv | tag | ciphertext>`.
 * Keys listed in WEBHOOK_SECRET_KEY_PREVIOUS only open (a rotation); the re-encryption job moves
 * every row to the current key, after which the previous one can be dropped. Values sealed before
 * key ids existed (no prefix) are opened with each key in turn.
 */

interface CipherKey {
  readonly id: string;
  readonly key: Buffer;
}

interface KeyRing {
  readonly current: CipherKey;
  readonly byId: ReadonlyMap<string, CipherKey>;
  /** Current first, then the previous ones, in the order configured. */
  readonly all: readonly CipherKey[];
}

const VERSION = 'v2';
const rings = new WeakMap<object, KeyRing>();

// The configured key may be any long string: HKDF turns it into exactly 32 bytes for AES-256, and
// (with another label) into a short id that names it without revealing anything of it.
function cipherKey(material: string): CipherKey {
  const key = Buffer.from(hkdfSync('sha256', material, '', 'coinslot webhook secrets v1', 32));
  const id = Buffer.from(hkdfSync('sha256', material, '', 'coinslot webhook secrets key id', 6)).toString('hex');
  return { id, key };
}

function keyRing(deps: Pick<Deps, 'config'>): KeyRing {
  let ring = rings.get(deps.config);
  if (!ring) {
    const { webhookSecretKey, webhookSecretKeysPrevious } = deps.config.secrets;
    const all = [webhookSecretKey, ...webhookSecretKeysPrevious].map(cipherKey);
    ring = { current: all[0]!, byId: new Map(all.map((k) => [k.id, k])), all };
    rings.set(deps.config, ring);
  }
  return ring;
}

/** Encrypts a game's webhook secret under the current key. */
export function sealWebhookSecret(deps: Pick<Deps, 'config'>, gameId: string, secret: string): string {
  const { current } = keyRing(deps);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', current.key, iv);
  cipher.setAAD(Buffer.from(gameId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${VERSION}:${current.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

function openWith(key: CipherKey, gameId: string, payload: string): string {
  const raw = Buffer.from(payload, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(gameId));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/** Decrypts a sealed webhook secret with the key it names (or, for an old value, the key that opens it). */
export function openWebhookSecret(deps: Pick<Deps, 'config'>, gameId: string, sealed: string): string {
  const ring = keyRing(deps);
  const [version, keyId, payload] = sealed.split(':');
  if (version === VERSION && keyId !== undefined && payload !== undefined) {
    const key = ring.byId.get(keyId);
    if (!key)
      throw new Error(
        `webhook secret sealed with key ${keyId}, which is neither WEBHOOK_SECRET_KEY nor in WEBHOOK_SECRET_KEY_PREVIOUS`,
      );
    return openWith(key, gameId, payload);
  }
  for (const key of ring.all) {
    try {
      return openWith(key, gameId, sealed);
    } catch {
      // not this key: try the next
    }
  }
  throw new Error('webhook secret opens with none of WEBHOOK_SECRET_KEY and WEBHOOK_SECRET_KEY_PREVIOUS');
}

/** The prefix of every value sealed under the current key (what re-encryption leaves alone). */
export function currentSealPrefix(deps: Pick<Deps, 'config'>): string {
  return `${VERSION}:${keyRing(deps).current.id}:`;
}
