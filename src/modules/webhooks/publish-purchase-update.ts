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
 * Never throws: pub/sub is at most once, and the purchase itself is the truth a client can re-read.
 */
export async function publishPurchaseUpdate(
  deps: Pick<Deps, 'pubsub' | 'logger' | 'clock'>,
  purchaseId: string,
  status?: string,
): Promise<void> {
  const message: PurchaseUpdateMessage = {
    purchaseId,
    ...(status ? { status } : {}),
    at: deps.clock.now().toISOString(),
  };
  try {
    await deps.pubsub.publish(purchaseChannel(purchaseId), JSON.stringify(message));
  } catch (error) {
    deps.logger.warn({ err: error, purchaseId }, 'could not publish a purchase update');
  }
}
