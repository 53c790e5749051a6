import type { Deps } from '../service-context.js';

/** The pub/sub channel every instance hears revocations on (the Redis adapter adds REDIS_KEY_PREFIX). */
export const REVOCATION_CHANNEL = 'accounts:revocations';

/** What a credential id names: a session, a game key or a game authorization (its game token). */
export type CredentialKind = 'session' | 'game_key' | 'game_authorization';

/** One announcement: these credentials no longer authenticate. Ids are row ids, never tokens or hashes. */
export interface Revocation {
  readonly kind: CredentialKind;
  readonly ids: readonly string[];
}

const KINDS: ReadonlySet<string> = new Set<CredentialKind>(['session', 'game_key', 'game_authorization']);

export function encodeRevocation(revocation: Revocation): string {
  return JSON.stringify({ v: 1, kind: revocation.kind, ids: revocation.ids });
}

/** The revocation in a message, or null when it cannot be read (the cache then forgets everything). */
export function decodeRevocation(message: string): Revocation | null {
  try {
    const value = JSON.parse(message) as { v?: unknown; kind?: unknown; ids?: unknown };
    if (value?.v !== 1 || typeof value.kind !== 'string' || !KINDS.has(value.kind)) return null;
    if (!Array.isArray(value.ids) || !value.ids.every((id) => typeof id === 'string')) return null;
    return { kind: value.kind as CredentialKind, ids: value.ids as string[] };
  } catch {
    return null;
  }
}

/**
 * Call after the transaction that revoked the credentials has committed (or when its outcome is
 * unknown: a needless drop only costs a query). The entries go from this instance's cache at once,
 * synchronously, then the other instances are told. A failed publish does not fail the revocation,
 * which is committed: it is logged, and the other instances' entries live at most
 * PRINCIPAL_CACHE_TTL (an instance whose subscriber lost Redis had already stopped using its cache).
 */
export async function announceRevocation(
  deps: Pick<Deps, 'principalCache' | 'pubsub' | 'logger'>,
  revocation: Revocation,
): Promise<void> {
  if (revocation.ids.length === 0) return;
  deps.principalCache.drop(revocation.ids);
  try {
    await deps.pubsub.publish(REVOCATION_CHANNEL, encodeRevocation(revocation));
  } catch (error) {
    deps.logger.warn(
      { err: error, kind: revocation.kind, ids: revocation.ids, ttlMs: deps.principalCache.ttlMs },
      'could not announce a revocation to the other instances; their cached credentials expire within PRINCIPAL_CACHE_TTL',
    );
  }
}
