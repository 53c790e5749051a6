import { describe, expect, it } from 'vitest';
import { createMemoryPubSub } from '../../src/adapters/memory/memory-pubsub.js';
import { createLogger } from '../../src/logger.js';
import {
  createPrincipalCache,
  type CachedPrincipal,
  type PrincipalCacheOptions,
} from '../../src/modules/accounts/principal-cache.js';
import { encodeRevocation, REVOCATION_CHANNEL } from '../../src/modules/accounts/revocations.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { PubSub } from '../../src/shared/ports.js';
import { waitFor } from '../helpers/processes.js';

const logger = createLogger('silent');
const session = (sessionId: string): CachedPrincipal => ({ kind: 'developer', developerId: 'dev-1', sessionId });
const gameToken = (authorizationId: string): CachedPrincipal => ({
  kind: 'player_game',
  playerId: 'p',
  gameId: 'g',
  authorizationId,
});

/** A pub/sub whose subscriber connection the test takes down and brings back. */
function controllablePubSub() {
  const inner = createMemoryPubSub();
  const watchers = new Set<(live: boolean) => void>();
  let live = true;
  let failSubscribe = false;
  const pubsub: PubSub = {
    publish: (channel, message) => inner.publish(channel, message),
    subscribe: async (channel, listener) => {
      if (failSubscribe) throw new Error('subscriber down');
      return inner.subscribe(channel, listener);
    },
    isLive: () => live,
    onLiveChange(listener) {
      watchers.add(listener);
      return () => watchers.delete(listener);
    },
  };
  return {
    pubsub,
    setLive(value: boolean) {
      live = value;
      for (const watcher of [...watchers]) watcher(value);
    },
    failSubscribe(value: boolean) {
      failSubscribe = value;
    },
    watchers,
  };
}

async function startedCache(overrides: Partial<PrincipalCacheOptions> = {}) {
  const cache = createPrincipalCache({
    ttlMs: 10_000,
    pubsub: createMemoryPubSub(),
    clock: new ManualClock(),
    logger,
    ...overrides,
  });
  await cache.start();
  return cache;
}

describe('principal cache', () => {
  it('serves what was put with a current ticket, and nothing before start', async () => {
    const cache = createPrincipalCache({
      ttlMs: 10_000,
      pubsub: createMemoryPubSub(),
      clock: new ManualClock(),
      logger,
    });
    expect(cache.ticket()).toBeNull();
    cache.put(0, 'h1', session('s1'));
    expect(cache.get('h1')).toBeUndefined();
    await cache.start();
    cache.put(cache.ticket(), 'h1', session('s1'));
    expect(cache.get('h1')).toEqual(session('s1'));
    await cache.stop();
    expect(cache.get('h1')).toBeUndefined();
  });

  it('does not store a lookup that started before a revocation was processed (generation check)', async () => {
    const cache = await startedCache();
    // a lookup reads the ticket, then queries Postgres (which still shows the session) …
    const ticket = cache.ticket();
    // … meanwhile the session is revoked and the revocation is processed here …
    cache.drop(['s1']);
    // … and the stale answer comes back: it must not be cached
    cache.put(ticket, 'h1', session('s1'));
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.size).toBe(0);
    // a revocation of any other credential counts too: the counter is global, on purpose
    const second = cache.ticket();
    cache.drop(['unrelated']);
    cache.put(second, 'h1', session('s1'));
    expect(cache.get('h1')).toBeUndefined();
    // a lookup that started after it stores its answer
    cache.put(cache.ticket(), 'h1', session('s1'));
    expect(cache.get('h1')).toEqual(session('s1'));
    await cache.stop();
  });

  it('a revocation heard on the channel drops every token of that credential id; a revocation after a put removes it', async () => {
    const pubsub = createMemoryPubSub();
    const cache = await startedCache({ pubsub });
    cache.put(cache.ticket(), 'old-token', gameToken('a1'));
    cache.put(cache.ticket(), 'new-token', gameToken('a1'));
    cache.put(cache.ticket(), 'other', gameToken('a2'));
    await pubsub.publish(REVOCATION_CHANNEL, encodeRevocation({ kind: 'game_authorization', ids: ['a1'] }));
    await waitFor(() => cache.get('old-token') === undefined, 1_000, 'the revocation to be heard', 1);
    expect(cache.get('old-token')).toBeUndefined();
    expect(cache.get('new-token')).toBeUndefined();
    expect(cache.get('other')).toEqual(gameToken('a2'));
    await cache.stop();
  });

  it('an unreadable revocation message clears everything', async () => {
    const pubsub = createMemoryPubSub();
    const cache = await startedCache({ pubsub });
    cache.put(cache.ticket(), 'h1', session('s1'));
    const before = cache.generation;
    await pubsub.publish(REVOCATION_CHANNEL, '{"v":2,"what":"?"}');
    await waitFor(() => cache.generation > before, 1_000, 'the unreadable message to be heard', 1);
    expect(cache.size).toBe(0);
    expect(cache.generation).toBeGreaterThan(before);
    await cache.stop();
  });

  it('keeps an entry at most the TTL (monotonic time) and never past the session expiry (the clock)', async () => {
    let monotonic = 0;
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const cache = await startedCache({ ttlMs: 1_000, clock, monotonicNow: () => monotonic });
    cache.put(cache.ticket(), 'h1', session('s1'));
    monotonic = 999;
    expect(cache.get('h1')).toBeDefined();
    monotonic = 1_000;
    expect(cache.get('h1')).toBeUndefined();

    monotonic = 0;
    cache.put(cache.ticket(), 'h2', session('s2'), new Date(clock.now().getTime() + 500));
    clock.advance(499);
    expect(cache.get('h2')).toBeDefined();
    clock.advance(1);
    expect(cache.get('h2')).toBeUndefined();
    // an already expired session is not stored
    cache.put(cache.ticket(), 'h3', session('s3'), new Date(clock.now().getTime()));
    expect(cache.get('h3')).toBeUndefined();
    await cache.stop();
  });

  it('holds at most maxEntries, evicting the oldest', async () => {
    const cache = await startedCache({ maxEntries: 3 });
    for (const n of [1, 2, 3, 4]) cache.put(cache.ticket(), `h${n}`, session(`s${n}`));
    expect(cache.size).toBe(3);
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.get('h4')).toBeDefined();
    // the evicted entry left the id index too: dropping it is harmless
    cache.drop(['s1']);
    expect(cache.size).toBe(3);
    await cache.stop();
  });

  it('is bypassed while the subscriber is down: cleared, no ticket, no hit; used again once live', async () => {
    const control = controllablePubSub();
    const cache = await startedCache({ pubsub: control.pubsub });
    cache.put(cache.ticket(), 'h1', session('s1'));
    const inFlight = cache.ticket();
    control.setLive(false);
    expect(cache.active).toBe(false);
    expect(cache.size).toBe(0);
    expect(cache.ticket()).toBeNull();
    // a lookup that started before the drop finishes after it: not stored
    cache.put(inFlight, 'h1', session('s1'));
    expect(cache.get('h1')).toBeUndefined();
    control.setLive(true);
    expect(cache.active).toBe(true);
    // nor after the subscription came back: its ticket is from before the drop
    cache.put(inFlight, 'h1', session('s1'));
    expect(cache.get('h1')).toBeUndefined();
    cache.put(cache.ticket(), 'h1', session('s1'));
    expect(cache.get('h1')).toEqual(session('s1'));
    await cache.stop();
    expect(control.watchers.size).toBe(0);
  });

  it('stays bypassed until its subscription succeeds, and subscribes when the connection is back', async () => {
    const control = controllablePubSub();
    control.failSubscribe(true);
    const cache = await startedCache({ pubsub: control.pubsub });
    expect(cache.active).toBe(false);
    cache.put(cache.ticket(), 'h1', session('s1'));
    expect(cache.size).toBe(0);
    control.failSubscribe(false);
    control.setLive(false);
    control.setLive(true);
    await waitFor(() => cache.active, 1_000, 'the cache to resume on the live subscription', 1);
    await cache.stop();
  });

  it('PRINCIPAL_CACHE_TTL 0: never active, never subscribes', async () => {
    const pubsub = createMemoryPubSub();
    const cache = await startedCache({ ttlMs: 0, pubsub });
    expect(cache.active).toBe(false);
    expect(pubsub.activeChannels()).not.toContain(REVOCATION_CHANNEL);
    cache.put(cache.ticket(), 'h1', session('s1'));
    expect(cache.get('h1')).toBeUndefined();
    await cache.stop();
  });
});
