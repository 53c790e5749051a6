// The demo game's use of what the player holds, against a scripted client: one consumeItem per use,
// each with its own idempotency key, an unknown outcome retried with the same key, and what is shown
// as held never counting a use twice.
import { describe, expect, test } from 'vitest';
import type { Client } from '../../../game-demo/src/api/client.js';
import { GraphQLRequestError, NetworkError } from '../../../game-demo/src/api/errors.js';
import type { Item } from '../../../game-demo/src/shop/catalog.js';
import { Inventory, type PlayerState } from '../../../game-demo/src/shop/inventory.js';

const LIFE: Item = {
  id: 'item-life',
  sku: 'extra-life',
  name: 'Extra life',
  description: null,
  kind: 'CONSUMABLE',
  prices: [{ amount: '99', currency: 'USD', formatted: '$0.99' }],
  grants: null,
};

const held = (quantity: number): PlayerState => ({
  viewer: { kind: 'GAME', player: { id: 'p1', displayName: 'Pat' } },
  wallet: [],
  inventory: [{ quantity, item: LIFE }],
});

type Answer = unknown | Error | Promise<unknown>;

/** A client answering from a script: the player's state for PlayerState, the next answer for consumeItem. */
function scripted(state: PlayerState, ...answers: Answer[]) {
  const sent: { itemId: string; quantity: number; idempotencyKey: string }[] = [];
  const client = {
    async request(_document: unknown, variables: { input?: (typeof sent)[number] }) {
      if (!variables.input) return state;
      sent.push(variables.input);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('no scripted answer left');
      const value = await answer;
      if (value instanceof Error) throw value;
      return { consumeItem: value };
    },
  } as unknown as Client;
  let n = 0;
  const inventory = new Inventory({ client, gameId: 'g1', newKey: () => `key-${++n}`, sleep: async () => {} });
  return { sent, inventory };
}

const used = (quantity: number) => ({ __typename: 'ConsumeItemPayload', entry: { quantity, item: { id: LIFE.id } } });

describe('the demo game uses what the player holds', () => {
  test('a use sends one consumeItem of one unit, and the count follows Coinslot’s answer', async () => {
    const { sent, inventory } = scripted(held(2), used(1));
    await inventory.load();
    expect(inventory.held('life')).toBe(2);
    expect(await inventory.use('life')).toEqual({ kind: 'used', item: LIFE, left: 1 });
    expect(sent).toEqual([{ itemId: LIFE.id, quantity: 1, idempotencyKey: 'key-1' }]);
    expect(inventory.held('life')).toBe(1);
  });

  test('a lost answer is retried with the same key, so a flaky network uses up one unit, not two', async () => {
    const { sent, inventory } = scripted(held(2), new NetworkError(), used(1));
    await inventory.load();
    expect(await inventory.use('life')).toMatchObject({ kind: 'used', left: 1 });
    expect(sent.map((s) => s.idempotencyKey)).toEqual(['key-1', 'key-1']);
  });

  test('two uses are two keys, run one after the other; what is held counts each use once meanwhile', async () => {
    let answer!: (value: unknown) => void;
    const first = new Promise((resolve) => (answer = resolve));
    const { sent, inventory } = scripted(held(3), first, used(1));
    await inventory.load();
    const one = inventory.use('life');
    const two = inventory.use('life');
    expect(inventory.held('life')).toBe(1);
    answer(used(2));
    expect(await one).toMatchObject({ kind: 'used', left: 2 });
    expect(await two).toMatchObject({ kind: 'used', left: 1 });
    expect(sent.map((s) => s.idempotencyKey)).toEqual(['key-1', 'key-2']);
    expect(inventory.held('life')).toBe(1);
  });

  test('none left at Coinslot: nothing is applied and the count is corrected', async () => {
    const { inventory } = scripted(held(1), { __typename: 'InsufficientQuantity', available: 0, message: 'none' });
    await inventory.load();
    expect(await inventory.use('life')).toEqual({ kind: 'none-held' });
    expect(inventory.held('life')).toBe(0);
  });

  test('nothing held: no call at all; a refused token says the game is not connected', async () => {
    const empty = scripted(held(0));
    await empty.inventory.load();
    expect(await empty.inventory.use('life')).toEqual({ kind: 'none-held' });
    expect(empty.sent).toEqual([]);

    const revoked = scripted(held(1), new GraphQLRequestError('no', 'UNAUTHENTICATED', 401, false, null));
    await revoked.inventory.load();
    expect(await revoked.inventory.use('life')).toEqual({ kind: 'not-connected' });
    expect(revoked.inventory.held('life')).toBe(1);
  });
});
