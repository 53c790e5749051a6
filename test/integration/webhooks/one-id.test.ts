import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookDispatcher } from '../../../src/modules/webhooks/index.js';
import { verifyReceipt } from '../../../src/sdk/verify-receipt.js';
import { buyTyped as buy, decodeId, setUpGame, setUpPlayer } from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import type { TestApp } from '../../helpers/test-app.js';
import { createWebhookTestApp, futureClock, startReceiver, type Receiver } from './fixtures.js';

const REFUND = graphql(`
  mutation RefundPurchase($input: RefundPurchaseInput!) {
    refundPurchase(input: $input) {
      __typename
      ... on RefundPurchasePayload { purchase { id status } refund { id } }
      ... on Error { code message }
    }
  }
`);
const NODES = graphql(`
  query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }
`);
const NODE = graphql(`
  query Node($id: ID!) { node(id: $id) { __typename id } }
`);

describe('one id everywhere', () => {
  let app: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    app = await createWebhookTestApp(futureClock(), { listen: true });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await app?.close();
  });

  it('takes the ids of a webhook and of a receipt back into the API as they are', async () => {
    const game = await setUpGame(app, undefined, { webhookUrl: receiver.url });
    const player = await setUpPlayer(app, game);
    const bought = await buy(app, game, player, game.items.life!);
    const purchase = expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase;
    expect(purchase.status).toBe('SUCCEEDED');
    const receipt = purchase.receipt;
    if (receipt === null) throw new Error('a SUCCEEDED purchase without its receipt');
    expect(purchase.id).toMatch(/^pur_[0-7][0-9a-hjkmnp-tv-z]{25}$/);
    expect(game.gameId).toMatch(/^gam_/);
    expect(player.playerId).toMatch(/^ply_/);

    const dispatcher = createWebhookDispatcher(app.deps, { gameIds: [decodeId(game.gameId)] });
    try {
      await dispatcher.tick();
    } finally {
      await dispatcher.stop();
    }
    const bodies = receiver.requests.map((r) => ({ webhookId: r.id, ...JSON.parse(r.body) }));
    const succeeded = bodies.find((b) => b.type === 'purchase.succeeded' && b.data.id === purchase.id);
    expect(succeeded, JSON.stringify(bodies)).toBeDefined();
    expect(succeeded.data).toMatchObject({
      id: purchase.id,
      gameId: game.gameId,
      playerId: player.playerId,
      itemId: game.items.life!.id,
    });
    const granted = bodies.find((b) => b.type === 'item.granted' && b.data.purchaseId === purchase.id);
    expect(granted.data).toMatchObject({ playerId: player.playerId, itemId: game.items.life!.id });

    // The receipt names the same purchase and game: sub and aud.
    const claims = decodeJwt(receipt);
    expect(claims.sub).toBe(purchase.id);
    expect(claims.aud).toBe(game.gameId);
    const verified = await verifyReceipt(receipt, {
      jwksUrl: `${app.url}/.well-known/jwks.json`,
      gameId: game.gameId,
      currentDate: app.deps.clock.now(),
    });
    expect(verified.purchase).toMatchObject({ id: purchase.id, gameId: game.gameId, itemId: game.items.life!.id });

    // Every id of the webhook is a node, and the event id too.
    const nodes = await app.gql(
      NODES,
      { ids: [succeeded.data.id, succeeded.data.gameId, succeeded.data.itemId, claims.sub, claims.aud] },
      { token: game.secretKey },
    );
    expect(nodes.errors).toBeUndefined();
    expect(nodes.data.nodes.map((n) => n?.__typename)).toEqual(['Purchase', 'Game', 'Item', 'Purchase', 'Game']);
    const event = await app.gql(NODE, { id: succeeded.webhookId }, { token: game.secretKey });
    expect(event.data.node).toEqual({ __typename: 'WebhookEvent', id: succeeded.webhookId });

    // The game server refunds with the webhook's purchase id.
    const refunded = await app.gql(
      REFUND,
      { input: { purchaseId: succeeded.data.id, reason: 'player asked', idempotencyKey: randomUUID() } },
      { token: game.secretKey },
    );
    expect(refunded.data.refundPurchase).toMatchObject({
      __typename: 'RefundPurchasePayload',
      purchase: { id: purchase.id, status: 'REFUNDED' },
    });
    expect(expectTypename(refunded.data.refundPurchase, 'RefundPurchasePayload').refund.id).toMatch(/^ref_/);
  });

  it('answers a malformed id with a validation error, never a 500, and an unknown one with null', async () => {
    const game = await setUpGame(app, []);
    for (const id of ['pur_', 'pur_zzzzzzzzzzzzzzzzzzzzzzzzzz', 'xyz_00000000000000000000000000', '', '%%%']) {
      const result = await app.gql(NODE, { id }, { token: game.secretKey });
      expect(result.errors?.[0]?.extensions?.code, id).toBe('VALIDATION_FAILED');
    }
    const unknown = await app.gql(NODE, { id: 'pur_00000000000000000000000000' }, { token: game.secretKey });
    expect(unknown.errors?.[0]?.extensions?.code ?? null).not.toBe('INTERNAL_SERVER_ERROR');
    expect(unknown.data?.node ?? null).toBeNull();
  });
});
