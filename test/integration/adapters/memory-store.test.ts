import { describe, expect, it } from 'vitest';
import { createMemoryHealth } from '../../../src/adapters/memory/memory-health.js';
import { createMemoryIdempotencyStore } from '../../../src/adapters/memory/memory-idempotency-store.js';
import { createMemoryPubSub } from '../../../src/adapters/memory/memory-pubsub.js';
import { createMemoryRateLimiter } from '../../../src/adapters/memory/memory-rate-limiter.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { storeContract } from './store-contract.js';

storeContract('in-process', async (clock) => {
  const pubsub = createMemoryPubSub();
  return {
    idempotency: createMemoryIdempotencyStore(clock),
    rateLimiter: createMemoryRateLimiter(clock),
    pubsub,
    health: createMemoryHealth(),
    // the in-process store measures every TTL on the injected clock: no real waiting
    elapse: async (ms) => clock.advance(ms),
    isChannelSubscribed: async (channel) => pubsub.activeChannels().includes(channel),
    close: async () => undefined,
  };
});

describe('in-process store specifics', () => {
  it('measures the lock TTL on the injected clock, to the millisecond', async () => {
    const clock = new ManualClock(1_000_000);
    const store = createMemoryIdempotencyStore(clock);
    await store.begin('k', 'fp', 1000);
    clock.advance(999);
    expect(await store.begin('k', 'fp', 1000)).toMatchObject({ state: 'in_progress', retryAfterMs: 1 });
    clock.advance(1);
    expect((await store.begin('k', 'fp', 1000)).state).toBe('acquired');
  });

  it('reports itself as the memory store', () => {
    expect(createMemoryHealth().kind).toBe('memory');
  });
});
