// What the player holds in this game, as Coinslot records it: the inventory and the wallet are read
// from Coinslot (at start, after every purchase, and now and then for gifts), and a unit is used up
// through consumeItem before the game applies it, so a reload never loses or duplicates anything.
import type { Client } from '../api/client.js';
import { GraphQLRequestError, NetworkError } from '../api/errors.js';
import type { ResultOf } from '../api/graphql.js';
import { ConsumeItemMutation, PlayerStateQuery } from '../api/operations.js';
import { effectOf, type Effect, type Item } from './catalog.js';

export type PlayerState = ResultOf<typeof PlayerStateQuery>;

/** How using up one unit ended. */
export type UseOutcome =
  | { kind: 'used'; item: Item; left: number }
  | { kind: 'none-held' }
  /** Not known (network): the same key is kept, so trying again uses up at most one. */
  | { kind: 'retry'; message: string }
  | { kind: 'not-connected' }
  | { kind: 'error'; message: string };

export interface InventoryDeps {
  readonly client: Client;
  readonly gameId: string;
  readonly newKey?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The held items and wallet of the connected player, and using up consumables. */
export class Inventory {
  state: PlayerState | null = null;
  private readonly newKey: () => string;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Uses not yet answered, by effect: what the game shows as held is the count minus these. */
  private readonly pendingUses = new Map<Effect, number>();
  /** Uses run one after another per item, each with its own key. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: InventoryDeps) {
    this.newKey = deps.newKey ?? (() => crypto.randomUUID());
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => window.setTimeout(resolve, ms)));
  }

  /** Reads the inventory and wallet from Coinslot (throws GraphQLRequestError / NetworkError). */
  async load(): Promise<PlayerState> {
    this.state = await this.deps.client.request(PlayerStateQuery, { gameId: this.deps.gameId });
    return this.state;
  }

  forget(): void {
    this.state = null;
  }

  /** Units held of one item. */
  quantity(itemId: string): number {
    return this.state?.inventory.find((e) => e.item.id === itemId)?.quantity ?? 0;
  }

  /** Units held of every item with this effect (extra lives, shields), less the uses on their way. */
  held(effect: Effect): number {
    const count = (this.state?.inventory ?? [])
      .filter((e) => effectOf(e.item) === effect)
      .reduce((sum, e) => sum + e.quantity, 0);
    return Math.max(0, count - (this.pendingUses.get(effect) ?? 0));
  }

  /**
   * Uses up one unit of an item with this effect. Resolves once Coinslot has taken it out; only then
   * may the game apply it (a shield the engine already spent is settled here). Every call is one use
   * with its own idempotency key; an unknown outcome is retried with that same key, so a flaky
   * network never uses up two units for one.
   */
  use(effect: Effect): Promise<UseOutcome> {
    this.pendingUses.set(effect, (this.pendingUses.get(effect) ?? 0) + 1);
    const key = this.newKey();
    const run = this.queue.then(() => this.consume(effect, key));
    this.queue = run.catch(() => undefined);
    return run.finally(() => this.pendingUses.set(effect, (this.pendingUses.get(effect) ?? 1) - 1));
  }

  private async consume(effect: Effect, key: string): Promise<UseOutcome> {
    const entry = this.state?.inventory.find((e) => effectOf(e.item) === effect && e.quantity > 0);
    if (!entry) return { kind: 'none-held' };
    for (let round = 0; ; round++) {
      const outcome = await this.once(entry.item, key);
      if (outcome.kind !== 'retry' || round >= 3) return outcome;
      await this.sleep(400 * 2 ** round);
    }
  }

  private async once(item: Item, key: string): Promise<UseOutcome> {
    let result;
    try {
      result = (
        await this.deps.client.request(ConsumeItemMutation, {
          input: { itemId: item.id, quantity: 1, idempotencyKey: key },
        })
      ).consumeItem;
    } catch (error) {
      if (error instanceof GraphQLRequestError && (error.unauthenticated || error.code === 'FORBIDDEN'))
        return { kind: 'not-connected' };
      if (error instanceof NetworkError || (error instanceof GraphQLRequestError && error.retryable))
        return { kind: 'retry', message: 'Could not reach Coinslot.' };
      return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    switch (result.__typename) {
      case 'ConsumeItemPayload':
        this.setQuantity(item.id, result.entry.quantity);
        return { kind: 'used', item, left: result.entry.quantity };
      case 'InsufficientQuantity':
        this.setQuantity(item.id, result.available);
        return { kind: 'none-held' };
      case 'IdempotencyInProgress':
      case 'ServiceUnavailable':
        return { kind: 'retry', message: result.message };
      default:
        return { kind: 'error', message: result.message };
    }
  }

  private setQuantity(itemId: string, quantity: number): void {
    if (!this.state) return;
    this.state = {
      ...this.state,
      inventory: this.state.inventory.map((e) => (e.item.id === itemId ? { ...e, quantity } : e)),
    };
  }
}
