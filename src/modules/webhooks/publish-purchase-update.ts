import type { Deps } from '../service-context.js';

/** The pub/sub channel of one purchase's live updates (shared by every instance through Redis). */
export function purchaseChannel(purchaseId: string): string {
  return `purchase:${purchaseId}`;
}

/** What travels on a purchase's channel: only which purchase changed; subscribers read it fresh, with their own access. */
export interface PurchaseUpdateMessage {
  readonly purchaseId: string;
  /** The status just committed, when the publisher knows it (informational). */
  readonly status?: string;
  readonly at: string;
}

/**
 * After a purchase's change committed: tells the `purchaseUpdated` subscribers of every instance.
 * Sent, not awaited: the caller's request does not wait for Redis' answer (a publish is off the
 * purchase's latency path; it still goes out in order with the connection's other commands, and
 * the webhook wake of the same change travels in the same write). Never throws: pub/sub is at most
 * once, a failure is logged, and the purchase itself is the truth a client can re-read.
 */
export function publishPurchaseUpdate(
  deps: Pick<Deps, 'pubsub' | 'logger' | 'clock'>,
  purchaseId: string,
  status?: string,
): void {
  const message: PurchaseUpdateMessage = {
    purchaseId,
    ...(status ? { status } : {}),
    at: deps.clock.now().toISOString(),
  };
  sendAndLog(deps, purchaseChannel(purchaseId), JSON.stringify(message), (error) =>
    deps.logger.warn({ err: error, purchaseId }, 'could not publish a purchase update'),
  );
}

/**
 * Publishes without waiting for the answer; a failure (Redis down, a timeout, or a publish that
 * throws at once) goes to `onError`, never to the caller.
 */
export function sendAndLog(
  deps: Pick<Deps, 'pubsub'>,
  channel: string,
  message: string,
  onError: (error: unknown) => void,
): void {
  try {
    deps.pubsub.publish(channel, message).catch(onError);
  } catch (error) {
    onError(error);
  }
}
