// The demo game's one-tap purchase logic, against a scripted client: keys, joins, retries and outcome mapping.
import { describe, expect, test } from 'vitest';
import type { Client } from '../../../game-demo/src/api/client.js';
import { NetworkError } from '../../../game-demo/src/api/errors.js';
import type { Item, Money, Purchase } from '../../../game-demo/src/shop/catalog.js';
import { PurchaseFlow } from '../../../game-demo/src/shop/purchase-flow.js';

const usd = (amount: string): Money => ({
  amount,
  currency: 'USD',
  formatted: `$${(Number(amount) / 100).toFixed(2)}`,
});
const LIFE: Item = {
  id: 'item-life',
  sku: 'extra-life',
  name: 'Extra life',
  description: null,
  kind: 'CONSUMABLE',
  prices: [usd('99')],
  grants: null,
};

function purchase(status: Purchase['status'], extra: Partial<Purchase> = {}): Purchase {
  return {
    id: 'p1',
    status,
    quantity: 1,
    declineCode: null,
    payUrl: null,
    isGift: false,
    requiresActionReason: null,
    price: usd('99'),
    item: LIFE,
    ...extra,
  };
}

type Answer = unknown | Error | Promise<unknown>;

/** A client whose createPurchase answers come from a script; it records every input it was sent. */
function scripted(...answers: Answer[]) {
  const sent: { idempotencyKey: string; expectedPrice: { amount: string } }[] = [];
  const client = {
    async request(_document: unknown, variables: { input: (typeof sent)[number] }) {
      sent.push(variables.input);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('no scripted answer left');
      const value = await answer;
      if (value instanceof Error) throw value;
      return { createPurchase: value };
    },
    subscribe() {
      return { close() {} };
    },
  } as unknown as Client;
  let n = 0;
  const flow = (autoRetries = 0) =>
    new PurchaseFlow({ client, gameId: 'g1', autoRetries, sleep: async () => {}, newKey: () => `key-${++n}` });
  return { sent, flow };
}

const ok = (p: Purchase) => ({ __typename: 'PurchasePayload', purchase: p });

describe('PurchaseFlow', () => {
  test('retries an unknown outcome (network error) with the same idempotency key', async () => {
    const { sent, flow } = scripted(new NetworkError(), ok(purchase('SUCCEEDED')));
    const outcome = await flow(1).buy(LIFE, usd('99'));
    expect(outcome.kind).toBe('succeeded');
    expect(sent.map((s) => s.idempotencyKey)).toEqual(['key-1', 'key-1']);
  });

  test('a second tap while the first is in flight joins it: one request, one outcome', async () => {
    let release!: (value: unknown) => void;
    const { sent, flow } = scripted(new Promise((resolve) => (release = resolve)));
    const purchases = flow();
    const first = purchases.buy(LIFE, usd('99'));
    const second = purchases.buy(LIFE, usd('99'));
    expect(purchases.busy(LIFE.id)).toBe(true);
    release(ok(purchase('SUCCEEDED')));
    expect(await second).toBe(await first);
    expect(sent).toHaveLength(1);
    expect(purchases.busy(LIFE.id)).toBe(false);
  });

  test('a Retry tap after an unknown outcome reuses the key; the next purchase after a result gets a new one', async () => {
    const { sent, flow } = scripted(
      new NetworkError(),
      ok(purchase('SUCCEEDED')),
      ok(purchase('SUCCEEDED', { id: 'p2' })),
    );
    const purchases = flow(0);
    expect((await purchases.buy(LIFE, usd('99'))).kind).toBe('retry');
    expect((await purchases.buy(LIFE, usd('99'))).kind).toBe('succeeded');
    expect((await purchases.buy(LIFE, usd('99'))).kind).toBe('succeeded');
    expect(sent.map((s) => s.idempotencyKey)).toEqual(['key-1', 'key-1', 'key-2']);
  });

  test('PriceChanged carries the new price, and buying at it is a new intention with a new key', async () => {
    const { sent, flow } = scripted(
      { __typename: 'PriceChanged', message: 'changed', code: 'PRICE_CHANGED', currentPrice: usd('149') },
      ok(purchase('SUCCEEDED', { price: usd('149') })),
    );
    const purchases = flow();
    const changed = await purchases.buy(LIFE, usd('99'));
    expect(changed).toMatchObject({ kind: 'price-changed', currentPrice: { amount: '149' } });
    expect((await purchases.buy(LIFE, usd('149'))).kind).toBe('succeeded');
    expect(sent.map((s) => [s.idempotencyKey, s.expectedPrice.amount])).toEqual([
      ['key-1', '99'],
      ['key-2', '149'],
    ]);
  });

  test('maps results: waiting purchases go to the pay sheet, declines and limits become messages', async () => {
    const { flow } = scripted(
      ok(purchase('REQUIRES_CONFIRMATION')),
      {
        __typename: 'CardDeclined',
        message: 'declined',
        code: 'CARD_DECLINED',
        declineCode: 'insufficient_funds',
        purchaseId: 'p3',
      },
      { __typename: 'RateLimited', message: 'slow down', code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: 42 },
      { __typename: 'NoCardOnFile', message: 'no card', code: 'NO_CARD_ON_FILE' },
    );
    const purchases = flow();
    expect((await purchases.buy(LIFE, usd('99'))).kind).toBe('pending');
    expect(await purchases.buy(LIFE, usd('99'))).toMatchObject({
      kind: 'declined',
      declineCode: 'insufficient_funds',
      // What happened, that nothing was charged, and the next step.
      message: expect.stringMatching(/enough money on this card.*Nothing was charged.*Try another card/),
    });
    const limited = await purchases.buy(LIFE, usd('99'));
    expect(limited).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 42 });
    // Waits in minutes, never in seconds.
    expect((limited as { message: string }).message).toMatch(/in 1 minute\./);
    expect((await purchases.buy(LIFE, usd('99'))).kind).toBe('no-card');
  });
});
