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
export function createRedisPubSub(
  redis: Pick<RedisClients, 'client' | 'subscriber' | 'keyPrefix' | 'commandTimeoutMs' | 'logger'>,
): PubSub {
  const { client, subscriber, logger } = redis;
  const channels = new Map<string, ChannelEntry>();
  const channelOf = (channel: string) => `${redis.keyPrefix}${channel}`;
  const liveness = watchLiveness(subscriber, logger);

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
    await withDeadline(subscriber.unsubscribe(channelOf(channel), entry.dispatch), redis.commandTimeoutMs).catch(
      () => undefined,
    );
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

    isLive: () => subscriber.isReady,
    onLiveChange: liveness,
  };
}

type LiveListener = (live: boolean) => void;

/**
 * Reports the subscriber connection going down and coming back. node-redis sets isReady to false
 * before it emits 'error', 'reconnecting' or 'end', and emits 'ready' only once its re-SUBSCRIBEs
 * after a reconnect are confirmed, so 'ready' means every earlier subscription hears again. The
 * connection's listeners are attached only while someone watches.
 */
function watchLiveness(
  subscriber: RedisClients['subscriber'],
  logger: Pick<RedisClients['logger'], 'error'>,
): (listener: LiveListener) => () => void {
  const listeners = new Set<LiveListener>();
  let reported = false;
  const report = (live: boolean) => {
    if (live === reported) return;
    reported = live;
    for (const listener of [...listeners]) {
      try {
        listener(live);
      } catch (error) {
        logger.error({ err: error }, 'A pub/sub liveness listener threw');
      }
    }
  };
  const down = () => report(false);
  const ready = () => report(subscriber.isReady);
  // Any error may have cost messages (a reset decoder too): report a loss even if the socket stays up.
  const failed = () => {
    report(false);
    if (subscriber.isReady) report(true);
  };
  return (listener) => {
    if (listeners.size === 0) {
      reported = subscriber.isReady;
      subscriber.on('ready', ready);
      subscriber.on('error', failed);
      subscriber.on('reconnecting', down);
      subscriber.on('end', down);
    }
    listeners.add(listener);
    return () => {
      if (!listeners.delete(listener) || listeners.size > 0) return;
      subscriber.off('ready', ready);
      subscriber.off('error', failed);
      subscriber.off('reconnecting', down);
      subscriber.off('end', down);
    };
  };
}

/** Bounds a subscriber command (node-redis applies no timeout to them) and maps failures. */
function withDeadline(operation: Promise<unknown>, timeoutMs: number): Promise<void> {
  return redisCall(() => operation, timeoutMs).then(() => undefined);
}
