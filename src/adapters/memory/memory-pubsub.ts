import type { Logger } from '../../logger.js';
import type { PubSub } from '../../shared/ports.js';

type Listener = (message: string) => void;

export interface MemoryPubSub extends PubSub {
  /** Channels with at least one listener (what Redis would have subscribed). */
  activeChannels(): string[];
}

/**
 * The in-process twin of the Redis pub/sub (single instance only). Messages are delivered
 * asynchronously, after publish() returns, as with Redis; a listener that throws is logged and
 * does not stop the others.
 */
export function createMemoryPubSub(logger?: Pick<Logger, 'error'>): MemoryPubSub {
  const channels = new Map<string, Set<Listener>>();

  return {
    async publish(channel, message) {
      const listeners = channels.get(channel);
      if (!listeners) return;
      const snapshot = [...listeners];
      queueMicrotask(() => {
        for (const listener of snapshot) {
          try {
            listener(message);
          } catch (error) {
            logger?.error({ err: error, channel }, 'A pub/sub listener threw');
          }
        }
      });
    },

    async subscribe(channel, listener) {
      let listeners = channels.get(channel);
      if (!listeners) {
        listeners = new Set();
        channels.set(channel, listeners);
      }
      const current = listeners;
      current.add(listener);
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        current.delete(listener);
        if (current.size === 0 && channels.get(channel) === current) channels.delete(channel);
      };
    },

    // one process: nothing can be lost between publisher and subscriber
    isLive: () => true,
    onLiveChange: () => () => {},

    activeChannels() {
      return [...channels.keys()];
    },
  };
}
