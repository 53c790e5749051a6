import type { Logger } from 'pino';
import type { Clock } from '../../shared/clock.js';
import type { CachedPrincipal, CacheTicket, PrincipalCache } from '../../shared/principal-cache-port.js';
import type { PubSub } from '../../shared/ports.js';
import { decodeRevocation, REVOCATION_CHANNEL } from './revocations.js';

export type { CachedPrincipal, CacheTicket, PrincipalCache };

export const PRINCIPAL_CACHE_MAX_ENTRIES = 10_000;
const RESUBSCRIBE_DELAY_MS = 1_000;

export interface PrincipalCacheOptions {
  /** PRINCIPAL_CACHE_TTL; 0 turns the cache off. */
  readonly ttlMs: number;
  readonly pubsub: PubSub;
  /** The clock sessions expire by (the one the database lookup compares expires_at with). */
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'warn' | 'info'>;
  readonly maxEntries?: number;
  /** Monotonic milliseconds the TTL runs on; real time even under a test's manual clock. */
  readonly monotonicNow?: () => number;
}

interface Entry {
  readonly principal: CachedPrincipal;
  readonly credentialId: string;
  /** Monotonic ms after which the entry is not used (the TTL). */
  readonly staleAt: number;
  /** Clock ms at which a session expires; null for keys and game authorizations. */
  readonly expiresAt: number | null;
}

function credentialIdOf(principal: CachedPrincipal): string {
  switch (principal.kind) {
    case 'developer':
    case 'player':
      return principal.sessionId;
    case 'game_secret':
    case 'game_publishable':
      return principal.keyId;
    case 'player_game':
      return principal.authorizationId;
  }
}

export function createPrincipalCache(options: PrincipalCacheOptions): PrincipalCache {
  const { ttlMs, pubsub, clock, logger } = options;
  const maxEntries = options.maxEntries ?? PRINCIPAL_CACHE_MAX_ENTRIES;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const enabled = ttlMs > 0;
  // Map order is insertion order: the first key is the oldest entry.
  const entries = new Map<string, Entry>();
  // credential id → its token hashes (a re-authorized game keeps its id under a new token)
  const byCredential = new Map<string, Set<string>>();
  let generation = 0;
  let subscribed = false;
  let live = false;
  let started = false;
  let stopped = false;
  let subscribing: Promise<void> | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  let stopWatching: (() => void) | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let failing = false;

  // Checks the adapter too: it knows the connection dropped before its event reaches us.
  const usable = () => enabled && subscribed && live && pubsub.isLive();

  function remove(tokenHash: string): void {
    const entry = entries.get(tokenHash);
    if (!entry) return;
    entries.delete(tokenHash);
    const hashes = byCredential.get(entry.credentialId);
    hashes?.delete(tokenHash);
    if (hashes?.size === 0) byCredential.delete(entry.credentialId);
  }

  function clear(): void {
    generation++;
    entries.clear();
    byCredential.clear();
  }

  function drop(ids: readonly string[]): void {
    generation++;
    for (const id of ids) {
      const hashes = byCredential.get(id);
      if (!hashes) continue;
      for (const tokenHash of [...hashes]) remove(tokenHash);
    }
  }

  function onMessage(message: string): void {
    const revocation = decodeRevocation(message);
    // unreadable: it may have named anything, so nothing cached can be trusted
    if (revocation) drop(revocation.ids);
    else {
      logger.warn({ channel: REVOCATION_CHANNEL }, 'unreadable revocation message; principal cache cleared');
      clear();
    }
  }

  function onLiveChange(isLive: boolean): void {
    if (!isLive) {
      // revocations published from now until the subscription is back are lost to this instance
      if (live) logger.warn('revocation subscription lost; principal cache cleared and bypassed until it is back');
      live = false;
      clear();
      return;
    }
    if (!live && subscribed) logger.info('revocation subscription restored; principal cache in use again');
    live = true;
    if (!subscribed) void subscribe();
  }

  function scheduleRetry(): void {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void subscribe();
    }, RESUBSCRIBE_DELAY_MS);
    retryTimer.unref();
  }

  function subscribe(): Promise<void> {
    if (stopped || subscribed) return Promise.resolve();
    subscribing ??= (async () => {
      try {
        const off = await pubsub.subscribe(REVOCATION_CHANNEL, onMessage);
        if (stopped) {
          await off().catch(() => undefined);
          return;
        }
        unsubscribe = off;
        failing = false;
        // lookups that started before the subscription was confirmed must not store their answers
        generation++;
        subscribed = true;
        live = pubsub.isLive();
      } catch (error) {
        if (!failing)
          logger.warn({ err: error }, 'could not subscribe to revocations; principal cache bypassed until it can');
        failing = true;
        // a connection that is down triggers the next attempt when it is back (onLiveChange); a live one needs a timer
        if (pubsub.isLive()) scheduleRetry();
      } finally {
        subscribing = null;
      }
    })();
    return subscribing;
  }

  return {
    ttlMs,
    get active() {
      return usable();
    },
    get generation() {
      return generation;
    },
    get size() {
      return entries.size;
    },

    get(tokenHash) {
      if (!usable()) return undefined;
      const entry = entries.get(tokenHash);
      if (!entry) return undefined;
      if (monotonicNow() >= entry.staleAt || (entry.expiresAt !== null && clock.now().getTime() >= entry.expiresAt)) {
        remove(tokenHash);
        return undefined;
      }
      return entry.principal;
    },

    ticket() {
      return usable() ? generation : null;
    },

    put(ticket, tokenHash, principal, sessionExpiresAt) {
      if (ticket === null || ticket !== generation || !usable()) return;
      const expiresAt = sessionExpiresAt ? sessionExpiresAt.getTime() : null;
      if (expiresAt !== null && clock.now().getTime() >= expiresAt) return;
      remove(tokenHash);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        remove(oldest.value);
      }
      const credentialId = credentialIdOf(principal);
      entries.set(tokenHash, { principal, credentialId, staleAt: monotonicNow() + ttlMs, expiresAt });
      let hashes = byCredential.get(credentialId);
      if (!hashes) byCredential.set(credentialId, (hashes = new Set()));
      hashes.add(tokenHash);
    },

    drop,
    clear,

    async start() {
      if (!enabled || started) return;
      started = true;
      live = pubsub.isLive();
      stopWatching = pubsub.onLiveChange(onLiveChange);
      await subscribe();
    },

    async stop() {
      stopped = true;
      subscribed = false;
      stopWatching?.();
      if (retryTimer) clearTimeout(retryTimer);
      clear();
      await subscribing;
      await unsubscribe?.().catch(() => undefined);
      unsubscribe = null;
    },
  };
}
