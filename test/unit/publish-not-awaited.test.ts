// The publishes after a change commits (a purchase's live update, the webhook wake) are sent and not
// awaited: they return before Redis answers, and a publish that fails, at once or later, is logged and
// never reaches the caller (docs/architecture.md, "Redis calls of a one-tap purchase").
import { describe, expect, it, vi } from 'vitest';
import { notifyEvents, publishPurchaseUpdate } from '../../src/modules/webhooks/index.js';
import type { PubSub } from '../../src/shared/ports.js';
import { unitDeps } from '../helpers/unit-deps.js';

type EnqueuedEvents = Parameters<typeof notifyEvents>[1];
const pendingEvent = { id: 'evt_1', status: 'pending' } as unknown as EnqueuedEvents;

function depsWith(publish: PubSub['publish']) {
  const deps = unitDeps();
  const warn = vi.fn();
  return {
    deps: { ...deps, pubsub: { ...deps.pubsub, publish }, logger: { ...deps.logger, warn } as typeof deps.logger },
    warn,
  };
}

describe('publishes after a commit', () => {
  it('return before the publish settles', () => {
    const sent: string[] = [];
    const { deps, warn } = depsWith((channel) => {
      sent.push(channel);
      return new Promise<void>(() => undefined);
    });
    expect(publishPurchaseUpdate(deps, 'p1')).toBeUndefined();
    expect(notifyEvents(deps, pendingEvent)).toBeUndefined();
    expect(sent).toEqual(['purchase:p1', 'webhooks:wake']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('log a publish that fails later, and one that throws at once, without throwing', async () => {
    const late = depsWith(() => Promise.reject(new Error('Redis is down')));
    publishPurchaseUpdate(late.deps, 'p2');
    notifyEvents(late.deps, pendingEvent);
    await vi.waitFor(() => expect(late.warn).toHaveBeenCalledTimes(2));

    const atOnce = depsWith(() => {
      throw new Error('no connection');
    });
    expect(() => publishPurchaseUpdate(atOnce.deps, 'p3')).not.toThrow();
    expect(() => notifyEvents(atOnce.deps, pendingEvent)).not.toThrow();
    expect(atOnce.warn).toHaveBeenCalledTimes(2);
  });

  it('wake no dispatcher when no event is pending', () => {
    const { deps } = depsWith(() => {
      throw new Error('must not publish');
    });
    const noEndpoint = { id: 'evt_2', status: 'no_endpoint' } as unknown as EnqueuedEvents;
    notifyEvents(deps, noEndpoint);
    expect(deps.logger.warn).not.toHaveBeenCalled();
  });
});
