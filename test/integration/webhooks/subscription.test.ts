import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPurchaseUpdate, purchaseChannel } from '../../../src/modules/webhooks/index.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  CARDS,
  confirmTyped as confirm,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
} from '../../helpers/flows.js';
import { chargesFor } from '../../helpers/charges.js';
import { armAcquirerFault, clearAcquirerFaults } from '../../helpers/acquirer-control.js';
import { refundPurchase } from '../../../src/modules/refunds/index.js';
import { operatorContext, refund } from '../refunds/fixtures.js';
import { waitFor, waitForValue } from '../../helpers/processes.js';
import { expectTypename, graphql, type ResultOf, type TadaDocumentNode } from '../../helpers/graphql.js';

const SUBSCRIPTION = graphql(`
  subscription PurchaseUpdated($id: ID!) { purchaseUpdated(id: $id) { id status receipt } }
`);
const REFUND_SUBSCRIPTION = graphql(`
  subscription PurchaseRefundUpdated($id: ID!) {
    purchaseUpdated(id: $id) { id status refunded { amount } refundPending { amount } refundable { amount } refunds { status } }
  }
`);
const LOG_OUT = graphql(`
  mutation LogOut { logOut }
`);

/** One server-sent event: the execution result it carries (null for `complete`). */
interface SseEvent<R> {
  readonly event: string;
  readonly data: {
    readonly data?: R | null;
    readonly errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
  } | null;
}

/** A real SSE subscription (POST /graphql, Accept: text/event-stream) read event by event. */
async function subscribe<R>(
  baseUrl: string,
  token: string,
  purchaseId: string,
  document: TadaDocumentNode<R, { id: string }>,
) {
  const query = print(document);
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables: { id: purchaseId } }),
    signal: abort.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const events: SseEvent<R>[] = [];
  let ended = false;
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: ?(.*)$/m.exec(block)?.[1];
          if (data !== undefined || event === 'complete') events.push({ event, data: data ? JSON.parse(data) : null });
        }
      }
    } catch {
      // aborted by the test
    } finally {
      ended = true;
    }
  })();
  return {
    response,
    events,
    get ended() {
      return ended;
    },
    /** Waits until an event satisfies `predicate` (or fails after `ms`). */
    async waitFor(predicate: (e: SseEvent<R>) => boolean, ms = 8_000): Promise<SseEvent<R>> {
      // null: the stream ended without it (stop waiting at once)
      const found = await waitForValue(
        () => events.find(predicate) ?? (ended ? null : undefined),
        ms,
        'an event',
        20,
      ).catch(() => undefined);
      if (found) return found;
      throw new Error(`${found === null ? 'stream ended' : 'no such event'}; got ${JSON.stringify(events)}`);
    },
    async close() {
      abort.abort();
      await pump;
    },
  };
}

const statusOf = (e: SseEvent<ResultOf<typeof SUBSCRIPTION> | ResultOf<typeof REFUND_SUBSCRIPTION>>) =>
  e.data?.data?.purchaseUpdated?.status;

/** The purchase a createPurchase answered with (it must be PurchasePayload). */
function purchaseOf(res: Awaited<ReturnType<typeof buy>>) {
  return expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
}

describe('purchaseUpdated over SSE across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let game: GameSetup;

  beforeAll(async () => {
    // two instances sharing the database and Redis (one key prefix), as behind a load balancer
    const env = { REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`, WEBHOOK_DISPATCHER: 'off' };
    [a, b] = await Promise.all([createTestApp({ listen: true, env }), createTestApp({ env })]);
    game = await setUpGame(b);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('instance A streams SUCCEEDED for a purchase confirmed through instance B', async () => {
    const player = await setUpPlayer(b, game);
    const waiting = purchaseOf(await buy(b, game, player, game.items.big!));
    expect(waiting.status).toBe('REQUIRES_CONFIRMATION');

    const stream = await subscribe(a.url!, player.gameToken, waiting.id, SUBSCRIPTION);
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
      // the current state first, so a client that subscribes late misses nothing
      await stream.waitFor((e) => statusOf(e) === 'REQUIRES_CONFIRMATION');

      const done = await confirm(b, player, waiting.id);
      expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
      const succeeded = await stream.waitFor((e) => statusOf(e) === 'SUCCEEDED');
      expect(succeeded.data?.data?.purchaseUpdated).toMatchObject({
        id: waiting.id,
        receipt: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      });
      expect(stream.events.every((e) => !e.data?.errors)).toBe(true);
    } finally {
      await stream.close();
    }
    // the last listener gone, instance A leaves the Redis channel
    const channel = `${a.config.REDIS_KEY_PREFIX}${purchaseChannel(decodeId(waiting.id))}`;
    await waitFor(
      async () =>
        Number(((await a.stores.redis!.client.sendCommand(['PUBSUB', 'NUMSUB', channel])) as [string, number])[1]) ===
        0,
      3_000,
      'instance A to leave the Redis channel',
    );
  });

  it("lets the game's secret key follow its purchase, but no other player nor another game", async () => {
    const player = await setUpPlayer(b, game);
    const other = await setUpPlayer(b, game, { card: null });
    const otherGame = await setUpGame(b, []);
    const waiting = purchaseOf(await buy(b, game, player, game.items.big!));

    for (const token of [other.gameToken, other.playerToken, otherGame.secretKey, otherGame.devToken]) {
      const refused = await subscribe(a.url!, token, waiting.id, SUBSCRIPTION);
      const first = await refused.waitFor(() => true);
      expect(first.data?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(first.data?.data?.purchaseUpdated ?? null).toBeNull();
      await refused.close();
    }

    const byGame = await subscribe(a.url!, game.secretKey, waiting.id, SUBSCRIPTION);
    try {
      await byGame.waitFor((e) => statusOf(e) === 'REQUIRES_CONFIRMATION');
      const done = await confirm(b, player, waiting.id);
      expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
      await byGame.waitFor((e) => statusOf(e) === 'SUCCEEDED');
    } finally {
      await byGame.close();
    }
  });

  it('streams a refund as it goes: held while pending, then given back (each event read afresh)', async () => {
    const player = await setUpPlayer(b, game, { card: CARDS.amex });
    const bought = purchaseOf(await buy(b, game, player, game.items.skin!));
    expect(bought.status).toBe('SUCCEEDED');
    const stream = await subscribe(a.url!, game.secretKey, bought.id, REFUND_SUBSCRIPTION);
    const view = (e: SseEvent<ResultOf<typeof REFUND_SUBSCRIPTION>>) => e.data?.data?.purchaseUpdated;
    try {
      await stream.waitFor((e) => statusOf(e) === 'SUCCEEDED');
      const [charge] = await chargesFor(b, decodeId(bought.id));
      await armAcquirerFault(b, {
        mode: 'error_before_charge',
        path: `/v1/charges/${charge!.id}/refunds`,
        method: 'POST',
        count: 20,
      });
      const key = `sub-refund-${randomBytes(4).toString('hex')}`;
      const pending = await refund(b, game.secretKey, bought.id, { amount: '100', key });
      expect(expectTypename(pending.data.refundPurchase, 'RefundPurchasePayload').refund.status).toBe('PENDING');
      await stream.waitFor((e) => view(e)?.refundPending?.amount === '100');
      await clearAcquirerFaults(b);
      const gameSecret = {
        ...operatorContext(b),
        principal: { kind: 'game_secret' as const, gameId: decodeId(game.gameId), developerId: 'dev', keyId: 'key' },
      };
      await refundPurchase(gameSecret, {
        purchaseId: decodeId(bought.id),
        amount: { amountMinor: 100, currency: 'USD' },
        reason: 'customer request',
        idempotencyKey: key,
      });
      const settled = await stream.waitFor((e) => view(e)?.refunded?.amount === '100');
      expect(view(settled)).toMatchObject({
        status: 'PARTIALLY_REFUNDED',
        refundPending: { amount: '0' },
        refundable: { amount: '399' },
        refunds: [{ status: 'SUCCEEDED' }],
      });
    } finally {
      await clearAcquirerFaults(b);
      await stream.close();
    }
  });

  it('checks the credentials again on every update: a session logged out meanwhile gets nothing more', async () => {
    // another card than the other tests' players, so that card-sharing risk rules stay out of the way
    const player = await setUpPlayer(b, game, { card: CARDS.mastercard });
    const waiting = purchaseOf(await buy(b, game, player, game.items.big!));
    const stream = await subscribe(a.url!, player.playerToken, waiting.id, SUBSCRIPTION);
    try {
      await stream.waitFor((e) => statusOf(e) === 'REQUIRES_CONFIRMATION');
      await b.gql(LOG_OUT, {}, { token: player.playerToken });
      // an update arrives: the subscriber's session is gone, so the stream ends without showing it
      await publishPurchaseUpdate(b.deps, decodeId(waiting.id));
      await stream.waitFor((e) => e.event === 'complete');
      expect(stream.events.filter((e) => statusOf(e))).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });
});
