// The one-tap purchase, without DOM: one idempotency key per intended purchase, typed outcomes, status following.
import type { Client } from '../api/client.js';
import { GraphQLRequestError, NetworkError } from '../api/errors.js';
import type { ResultOf } from '../api/graphql.js';
import {
  CancelPurchaseMutation,
  CreatePurchaseMutation,
  PurchaseQuery,
  PurchaseUpdatedSubscription,
} from '../api/operations.js';
import {
  busyMessage,
  declineMessage,
  insufficientGemsMessage,
  noCardMessage,
  priceChangedMessage,
  rateLimitedMessage,
  riskBlockedMessage,
  unavailableMessage,
  type PlayerMessage,
} from '../../../src/sdk/player-messages.js';
import { isTerminal, type Item, type Money, type Purchase } from './catalog.js';

/** One line for a note: what happened, then what to do. */
const say = (m: PlayerMessage): string => `${m.text} ${m.next}`;

type CreateResult = ResultOf<typeof CreatePurchaseMutation>['createPurchase'];

/** Everything a tap on Buy can end in; the shop turns each into words and actions. */
export type Outcome =
  /** Charged (or paid from the wallet): apply it in play. */
  | { kind: 'succeeded'; purchase: Purchase }
  /** Waiting for the player in the pay sheet (REQUIRES_CONFIRMATION / REQUIRES_ACTION), or still PROCESSING. */
  | { kind: 'pending'; purchase: Purchase }
  /** The purchase ended without success (FAILED / CANCELED). */
  | { kind: 'failed'; purchase: Purchase; message: string }
  | { kind: 'price-changed'; currentPrice: Money; message: string }
  | { kind: 'declined'; message: string; declineCode: string; purchaseId: string | null }
  | { kind: 'blocked'; message: string; retryAfterSeconds: number | null }
  | { kind: 'rate-limited'; message: string; retryAfterSeconds: number | null }
  | { kind: 'no-card'; message: string }
  | { kind: 'not-connected'; message: string }
  | { kind: 'insufficient-funds'; message: string; balance: Money | null }
  | { kind: 'unavailable'; message: string }
  /** Could not tell whether it went through (network, in progress): retrying reuses the same key. */
  | { kind: 'retry'; message: string; retryAfterSeconds: number | null }
  | { kind: 'error'; message: string };

/** One intended purchase: its key is made when the tap starts and reused by every retry of it. */
export interface Attempt {
  readonly key: string;
  readonly item: Item;
  readonly price: Money;
  readonly giftTo: string | null;
  /** Where the attempt is kept: the item, or the item and the friend for a gift. */
  readonly slot: string;
}

export interface PurchaseFlowDeps {
  readonly client: Client;
  readonly gameId: string;
  /** A stable id of this device, for Coinslot's fraud rules. */
  readonly deviceId?: string;
  readonly newKey?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Automatic retries of an unknown outcome before asking the player. */
  readonly autoRetries?: number;
}

/** What to buy: one of `item` at `price`, for the player or as a gift to a friend (their player id). */
export interface BuyOptions {
  readonly giftTo?: string | null;
}

/** A purchase being followed: `refresh` reads it now (e.g. when the pay sheet says it is done). */
export interface Following {
  stop(): void;
  refresh(): void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => window.setTimeout(resolve, ms));

/** Runs purchases: a second tap while one is in flight joins it, and a retry after an unknown outcome reuses its key. */
export class PurchaseFlow {
  private readonly newKey: () => string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly autoRetries: number;
  /** Attempts whose outcome is not known yet, by item id: kept so a retry sends the same key. */
  private readonly open = new Map<string, Attempt>();
  private readonly inFlight = new Map<string, Promise<Outcome>>();

  constructor(private readonly deps: PurchaseFlowDeps) {
    this.newKey = deps.newKey ?? (() => crypto.randomUUID());
    this.sleep = deps.sleep ?? defaultSleep;
    this.autoRetries = deps.autoRetries ?? 2;
  }

  /** True while a request for this item is on the wire. */
  busy(itemId: string): boolean {
    return this.inFlight.has(itemId);
  }

  /** Buys one of `item` at the price shown; joins the request already in flight for it. */
  buy(item: Item, price: Money, options: BuyOptions = {}): Promise<Outcome> {
    const giftTo = options.giftTo ?? null;
    const slot = giftTo ? `${item.id}>${giftTo}` : item.id;
    const running = this.inFlight.get(slot);
    if (running) return running;
    const previous = this.open.get(slot);
    // The same intended purchase keeps its key; a new price means a new intention (and a new key).
    const attempt: Attempt =
      previous && previous.price.amount === price.amount && previous.price.currency === price.currency
        ? previous
        : { key: this.newKey(), item, price, giftTo, slot };
    this.open.set(slot, attempt);
    const promise = this.run(attempt).finally(() => this.inFlight.delete(slot));
    this.inFlight.set(slot, promise);
    return promise;
  }

  /**
   * Cancels a purchase still waiting for the player (the pay sheet was closed without paying), so a
   * waiting durable item or limited stock does not block the next tap. Returns the purchase as it is
   * now (CANCELED, or already paid if the player paid meanwhile), or null when that is unknown.
   */
  async cancel(purchaseId: string): Promise<Purchase | null> {
    try {
      const { cancelPurchase } = await this.deps.client.request(CancelPurchaseMutation, { input: { purchaseId } });
      if (cancelPurchase.__typename === 'PurchasePayload') return cancelPurchase.purchase;
    } catch {
      // Unknown: the caller reads the purchase again.
    }
    try {
      return (await this.deps.client.request(PurchaseQuery, { id: purchaseId })).purchase ?? null;
    } catch {
      return null;
    }
  }

  /** Forgets an unfinished attempt, so that the next tap is a new purchase. */
  abandon(itemId: string, giftTo?: string | null): void {
    this.open.delete(giftTo ? `${itemId}>${giftTo}` : itemId);
  }

  private async run(attempt: Attempt): Promise<Outcome> {
    for (let round = 0; ; round++) {
      const outcome = await this.once(attempt);
      if (outcome.kind !== 'retry') {
        this.open.delete(attempt.slot);
        return outcome;
      }
      if (round >= this.autoRetries) return outcome;
      await this.sleep(Math.min(4000, (outcome.retryAfterSeconds ?? 0.5 * 2 ** round) * 1000));
    }
  }

  private async once(attempt: Attempt): Promise<Outcome> {
    let result: CreateResult;
    try {
      const data = await this.deps.client.request(CreatePurchaseMutation, {
        input: {
          gameId: this.deps.gameId,
          itemId: attempt.item.id,
          quantity: 1,
          expectedPrice: { amount: attempt.price.amount, currency: attempt.price.currency },
          idempotencyKey: attempt.key,
          deviceId: this.deps.deviceId ?? null,
          giftTo: attempt.giftTo,
        },
      });
      result = data.createPurchase;
    } catch (error) {
      return fromThrown(error);
    }
    return fromResult(result);
  }

  /**
   * Follows a purchase until it settles: the `purchaseUpdated` subscription over SSE, with polling of
   * `purchase(id)` when the stream cannot be opened or breaks. Returns a handle to stop or refresh it.
   */
  follow(
    purchaseId: string,
    onUpdate: (purchase: Purchase) => void,
    options: { pollMs?: number; timeoutMs?: number } = {},
  ): Following {
    const pollMs = options.pollMs ?? 2000;
    let stopped = false;
    let timer = 0;
    let live: { close(): void } | null = null;
    let last = '';
    const deliver = (purchase: Purchase): void => {
      if (stopped) return;
      const key = `${purchase.id}:${purchase.status}`;
      if (key !== last) {
        last = key;
        onUpdate(purchase);
      }
      if (isTerminal(purchase.status)) stop();
    };
    const poll = async (): Promise<void> => {
      if (stopped) return;
      try {
        const data = await this.deps.client.request(PurchaseQuery, { id: purchaseId });
        if (data.purchase) deliver(data.purchase);
      } catch {
        // A failed poll is retried on the next tick; the purchase itself is safe on the server.
      }
      if (!stopped) timer = window.setTimeout(() => void poll(), pollMs);
    };
    const stop = (): void => {
      stopped = true;
      window.clearTimeout(timer);
      window.clearTimeout(deadline);
      live?.close();
    };
    const deadline = window.setTimeout(stop, options.timeoutMs ?? 20 * 60_000);
    live = this.deps.client.subscribe(
      PurchaseUpdatedSubscription,
      { id: purchaseId },
      {
        next: (data) => deliver(data.purchaseUpdated),
        error: () => void poll(),
        complete: () => void poll(),
      },
    );
    const refresh = (): void => {
      if (stopped) return;
      void this.deps.client.request(PurchaseQuery, { id: purchaseId }).then(
        (data) => data.purchase && deliver(data.purchase),
        () => undefined,
      );
    };
    // Read the current state once too: an update may have happened before the stream opened.
    refresh();
    return { stop, refresh };
  }
}

/** Maps a purchase to an outcome by its status. */
export function fromPurchase(purchase: Purchase): Outcome {
  switch (purchase.status) {
    case 'SUCCEEDED':
      return { kind: 'succeeded', purchase };
    case 'FAILED':
      return { kind: 'failed', purchase, message: say(declineMessage(purchase.declineCode)) };
    case 'CANCELED':
      return { kind: 'failed', purchase, message: say(declineMessage('canceled')) };
    case 'REFUNDED':
    case 'PARTIALLY_REFUNDED':
      return {
        kind: 'failed',
        purchase,
        message: 'This purchase was refunded: the money went back. Your Coinslot account shows the details.',
      };
    default:
      return { kind: 'pending', purchase };
  }
}

function fromResult(result: CreateResult): Outcome {
  switch (result.__typename) {
    case 'PurchasePayload':
      return fromPurchase(result.purchase);
    case 'PriceChanged':
      return {
        kind: 'price-changed',
        currentPrice: result.currentPrice,
        message: say(priceChangedMessage(result.currentPrice)),
      };
    case 'CardDeclined':
      return {
        kind: 'declined',
        message: say(declineMessage(result.declineCode)),
        declineCode: result.declineCode,
        purchaseId: result.purchaseId ?? null,
      };
    case 'RiskBlocked':
      return {
        kind: 'blocked',
        message: say(riskBlockedMessage(result.retryAfterSeconds)),
        retryAfterSeconds: result.retryAfterSeconds ?? null,
      };
    case 'RateLimited':
      return {
        kind: 'rate-limited',
        message: say(rateLimitedMessage(result.retryAfterSeconds)),
        retryAfterSeconds: result.retryAfterSeconds ?? null,
      };
    case 'NoCardOnFile':
      return { kind: 'no-card', message: say(noCardMessage()) };
    case 'InsufficientFunds':
      return {
        kind: 'insufficient-funds',
        message: say(insufficientGemsMessage(null, result.balance)),
        balance: result.balance,
      };
    case 'OutOfStock':
      return { kind: 'unavailable', message: say(unavailableMessage('sold-out')) };
    case 'LimitReached':
      return { kind: 'unavailable', message: say(unavailableMessage('limit')) };
    case 'IdempotencyInProgress':
      return { kind: 'retry', message: 'Still working on it…', retryAfterSeconds: result.retryAfterSeconds ?? 1 };
    case 'ServiceUnavailable':
      return { kind: 'retry', message: busyMessage().text, retryAfterSeconds: result.retryAfterSeconds ?? 2 };
    case 'Forbidden':
      return { kind: 'not-connected', message: 'Connect your Coinslot account to buy.' };
    default:
      return { kind: 'error', message: result.message };
  }
}

function fromThrown(error: unknown): Outcome {
  if (error instanceof NetworkError) return { kind: 'retry', message: error.message, retryAfterSeconds: null };
  if (error instanceof GraphQLRequestError) {
    if (error.unauthenticated || error.code === 'FORBIDDEN')
      return { kind: 'not-connected', message: 'Connect your Coinslot account to buy.' };
    if (error.retryable) return { kind: 'retry', message: error.message, retryAfterSeconds: error.retryAfterSeconds };
    // A masked server error: the outcome is unknown, and retrying with the same key is what makes that safe.
    if (error.code === null || error.code === 'INTERNAL_SERVER_ERROR' || error.status >= 500) {
      return { kind: 'retry', message: 'Something went wrong at Coinslot.', retryAfterSeconds: null };
    }
    return { kind: 'error', message: error.message };
  }
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return { kind: 'retry', message: 'Coinslot is taking long to answer. Try again.', retryAfterSeconds: null };
  }
  return { kind: 'error', message: 'Something went wrong. Try again.' };
}
