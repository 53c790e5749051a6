import type { PubSub } from '../../shared/ports.js';
import { ServiceUnavailableError } from '../../shared/errors.js';
import { redisCall, type RedisClients } from './redis-client.js';

type Listener = (message: string) => void;

interface ChannelEntry {
  readonly listeners: Set<Listener>;
  /** The one node-redis listener of this channel; it fans each message out to `listeners`. */
  readonly dispatch: Listener;
  /** Settles when Redis confirmed the SUBSCRIBE. */
  readonly subscribed: Promise<void>;
}

/**
 * Pub/sub across instances over the subscriber connection. A Redis channel is subscribed when its
 * first local listener arrives and unsubscribed when its last one leaves; node-redis re-subscribes
 * by itself after a reconnect. Messages published while Redis is down are lost (pub/sub is
 * at-most-once); callers that need every event read them from the outbox.
 */
export function createRedisPubSub(redis: Pick<RedisClients, 'client' | 'subscriber' | 'keyPrefix' | 'commandTimeoutMs' | 'logger'>): PubSub {
  const { client, subscriber, logger } = redis;
  const channels = new Map<string, ChannelEntry>();
  const channelOf = (channel: string) => `${redis.keyPrefix}${channel}`;

  function openChannel(channel: string): ChannelEntry {
    const listeners = new Set<Listener>();
    const dispatch: Listener = (message) => {
      for (const listener of [...listeners]) {
        try {
          listener(message);
        } catch (error) {
          logger.error({ err: error, channel }, 'A pub/sub listener threw');
        }
      }
    };
    const subscribed = withDeadline(subscriber.subscribe(channelOf(channel), dispatch), redis.commandTimeoutMs);
    const entry = { listeners, dispatch, subscribed };
    channels.set(channel, entry);
    return entry;
  }

  async function closeChannel(channel: string, entry: ChannelEntry): Promise<void> {
    if (channels.get(channel) === entry) channels.delete(channel);
    // removes only this entry's dispatch; node-redis sends UNSUBSCRIBE once the channel has no listener left
    // bounded: while Redis is down the UNSUBSCRIBE waits for the reconnect, which re-subscribes only live channels
    await withDeadline(subscriber.unsubscribe(channelOf(channel), entry.dispatch), redis.commandTimeoutMs).catch(() => undefined);
  }

  return {
    async publish(channel, message) {
      await redisCall(() => client.publish(channelOf(channel), message), redis.commandTimeoutMs);
    },

    async subscribe(channel, listener) {
      let entry = channels.get(channel);
      if (!entry) {
        if (!subscriber.isReady) throw new ServiceUnavailableError();
        entry = openChannel(channel);
      }
      const current = entry;
      current.listeners.add(listener);
      try {
        await current.subscribed;
      } catch (error) {
        current.listeners.delete(listener);
        if (current.listeners.size === 0) await closeChannel(channel, current);
        throw error;
      }
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        current.listeners.delete(listener);
        if (current.listeners.size === 0) await closeChannel(channel, current);
      };
    },
  };
}

/** Bounds a subscriber command (node-redis applies no timeout to them) and maps failures. */
function withDeadline(operation: Promise<unknown>, timeoutMs: number): Promise<void> {
  return redisCall(() => operation, timeoutMs).then(() => undefined);
}
