import type { Deps } from '../service-context.js';
import { purchaseChannel } from './publish-purchase-update.js';

/**
 * A live view of one purchase for a subscription: yields its current state at once, then again
 * after each update published on its channel (by any instance), skipping states already sent.
 * `load` reads the purchase afresh with the subscriber's access (null ends the stream: the purchase is
 * no longer visible to it). The channel is left when the consumer stops (return) or the stream ends,
 * even while waiting for the next update.
 */
export function watchPurchase<T>(
  deps: Pick<Deps, 'pubsub'>,
  purchaseId: string,
  load: () => Promise<T | null>,
  fingerprint: (value: T) => string,
): AsyncIterableIterator<T> {
  let closed = false;
  let dirty = true;
  let wake: (() => void) | null = null;
  let last: string | null = null;
  const subscription = deps.pubsub.subscribe(purchaseChannel(purchaseId), () => {
    dirty = true;
    wake?.();
  });
  // a failed subscribe surfaces from next(); here it must not become an unhandled rejection
  subscription.catch(() => undefined);
  let cleanup: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed = true;
    wake?.();
    cleanup ??= subscription.then(
      (unsubscribe) => unsubscribe(),
      () => undefined,
    );
    return cleanup;
  };

  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      await subscription;
      while (!closed) {
        if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        if (closed) break;
        dirty = false;
        let value: T | null;
        try {
          value = await load();
        } catch (error) {
          await close();
          throw error;
        }
        if (closed) break;
        if (value === null) {
          await close();
          break;
        }
        const key = fingerprint(value);
        if (key !== last) {
          last = key;
          return { value, done: false };
        }
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<T>> {
      await close();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
