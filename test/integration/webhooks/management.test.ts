import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookDispatcher } from '../../../src/modules/webhooks/index.js';
import { verifyWebhook } from '../../../src/sdk/verify-webhook.js';
import type { ManualClock } from '../../../src/shared/clock.js';
import { uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import {
  createGameWithWebhook,
  createWebhookTestApp,
  enqueue,
  futureClock,
  outboxRow,
  startReceiver,
  type Receiver,
} from './fixtures.js';

const SEND_TEST = graphql(`
  mutation SendTestWebhook($input: SendTestWebhookInput!) {
    sendTestWebhook(input: $input) {
      __typename
      ... on SendTestWebhookPayload { event { eventId type status } delivery { statusCode success trigger } }
      ... on Error { code message }
    }
  }
`);
const REDELIVER = graphql(`
  mutation RedeliverEvent($input: RedeliverEventInput!) {
    redeliverEvent(input: $input) {
      __typename
      ... on RedeliverEventPayload { event { id eventId status attempts } delivery { statusCode success trigger } }
      ... on Error { code message }
    }
  }
`);
const EVENTS = graphql(`
  query WebhookEvents($gameId: ID!, $status: WebhookEventStatus, $first: Int, $after: String) {
    webhookEvents(gameId: $gameId, status: $status, first: $first, after: $after) {
      edges { cursor node { eventId type status sequence body deliveries(first: 10) { edges { node { statusCode trigger } } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const DELIVERIES = graphql(`
  query WebhookDeliveries($gameId: ID!) { webhookDeliveries(gameId: $gameId, first: 10) { edges { node { eventId } } } }
`);
const SIGN_UP_PLAYER = graphql(`
  mutation SignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token } }
  }
`);

describe('webhook management for developers', () => {
  let clock: ManualClock;
  let app: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    clock = futureClock();
    app = await createWebhookTestApp(clock);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await app?.close();
  });

  it('sendTestWebhook posts a signed webhook.test now and shows the answer', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const res = await app.gql(SEND_TEST, { input: { gameId: game.globalId } }, { token: game.developerToken });
    const payload = res.data.sendTestWebhook;
    expect(payload).toMatchObject({
      __typename: 'SendTestWebhookPayload',
      event: { type: 'webhook.test', status: 'DELIVERED' },
      delivery: { statusCode: 200, success: true, trigger: 'TEST' },
    });
    const sent = expectTypename(payload, 'SendTestWebhookPayload');
    const request = receiver.requests.find((r) => r.id === sent.event.eventId)!;
    const event = verifyWebhook({
      payload: request.body,
      headers: request.headers,
      secret: game.webhookSecret,
      now: clock.now(),
    });
    expect(event).toMatchObject({ type: 'webhook.test', data: { gameId: game.globalId } });
  });

  it('sendTestWebhook without a webhook URL is an InvalidState, and a failing endpoint is reported, not retried', async () => {
    const bare = await createGameWithWebhook(app, null);
    const none = await app.gql(SEND_TEST, { input: { gameId: bare.globalId } }, { token: bare.developerToken });
    expect(none.data.sendTestWebhook).toMatchObject({ __typename: 'InvalidState', code: 'INVALID_STATE' });

    const game = await createGameWithWebhook(app, receiver.url);
    receiver.failNext(1);
    const failed = await app.gql(SEND_TEST, { input: { gameId: game.globalId } }, { token: game.developerToken });
    expect(failed.data.sendTestWebhook).toMatchObject({
      event: { status: 'FAILED' },
      delivery: { statusCode: 500, success: false },
    });
    const dispatcher = createWebhookDispatcher(app.deps, { gameIds: [game.gameId] });
    clock.advance(86_400_000);
    expect(await dispatcher.tick()).toBe(0);
    await dispatcher.stop();
  });

  it('redeliverEvent sends a failed event again with the same id and marks it delivered', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const [event] = await enqueue(app, game.gameId, [{ aggregateId: crypto.randomUUID() }]);
    // the schedule ran out while the endpoint was down
    await app.database.pool!.query(
      `update outbox_events set status = 'failed', attempts = 12, next_attempt_at = null where id = $1`,
      [event!.id],
    );

    const res = await app.gql(REDELIVER, { input: { eventId: event!.id } }, { token: game.developerToken });
    expect(res.data.redeliverEvent).toMatchObject({
      __typename: 'RedeliverEventPayload',
      event: { eventId: event!.id, status: 'DELIVERED', attempts: 12 },
      delivery: { statusCode: 200, success: true, trigger: 'MANUAL' },
    });
    // the WebhookEvent global id works as well, and the receiver sees the same id again
    const again = await app.gql(
      REDELIVER,
      { input: { eventId: expectTypename(res.data.redeliverEvent, 'RedeliverEventPayload').event.id } },
      { token: game.secretKey },
    );
    expect(expectTypename(again.data.redeliverEvent, 'RedeliverEventPayload').delivery?.success).toBe(true);
    const seen = receiver.requests.filter((r) => r.id === event!.id);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.body).toBe(seen[1]!.body);
    expect((await outboxRow(app, event!.id)).status).toBe('delivered');
  });

  it("lists a game's events with their deliveries, page by page", async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const aggregate = crypto.randomUUID();
    await enqueue(app, game.gameId, [
      { aggregateId: aggregate, type: 'purchase.succeeded' },
      { aggregateId: aggregate, type: 'item.granted' },
      { aggregateId: aggregate, type: 'purchase.refunded' },
    ]);
    const dispatcher = createWebhookDispatcher(app.deps, { gameIds: [game.gameId] });
    await dispatcher.tick();
    await dispatcher.stop();
    const first = await app.gql(EVENTS, { gameId: game.globalId, first: 2 }, { token: game.developerToken });
    const page1 = first.data.webhookEvents;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await app.gql(
      EVENTS,
      { gameId: game.globalId, first: 2, after: page1.pageInfo.endCursor },
      { token: game.developerToken },
    );
    const nodes = [...page1.edges, ...second.data.webhookEvents.edges].map((e) => e.node);
    expect(nodes.map((n) => n.sequence)).toEqual([1, 2, 3]);
    expect(nodes.map((n) => n.type)).toEqual(['purchase.succeeded', 'item.granted', 'purchase.refunded']);
    expect(nodes.every((n) => n.status === 'DELIVERED' && n.deliveries.edges[0]?.node.statusCode === 200)).toBe(true);
    expect(JSON.parse(String(nodes[0]?.body))).toMatchObject({ id: nodes[0]?.eventId, type: 'purchase.succeeded' });
    const failed = await app.gql(EVENTS, { gameId: game.globalId, status: 'FAILED' }, { token: game.developerToken });
    expect(failed.data.webhookEvents.edges).toEqual([]);
  });

  it("shows and resends a game's webhooks to no one but its developer, its secret key and operators", async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const stranger = await createGameWithWebhook(app, receiver.url);
    const [event] = await enqueue(app, game.gameId, [{ aggregateId: crypto.randomUUID() }]);
    const dispatcher = createWebhookDispatcher(app.deps, { gameIds: [game.gameId] });
    await dispatcher.tick();
    await dispatcher.stop();

    const own = await app.gql(DELIVERIES, { gameId: game.globalId }, { token: game.developerToken });
    expect(own.data.webhookDeliveries.edges).toHaveLength(1);
    const byKey = await app.gql(DELIVERIES, { gameId: game.globalId }, { token: game.secretKey });
    expect(byKey.data.webhookDeliveries.edges).toHaveLength(1);
    const byOperator = await app.gql(
      DELIVERIES,
      { gameId: game.globalId },
      { token: app.config.secrets.operatorToken },
    );
    expect(byOperator.data.webhookDeliveries.edges).toHaveLength(1);

    const byStranger = await app.gql(DELIVERIES, { gameId: game.globalId }, { token: stranger.developerToken });
    expect(byStranger.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const strangerRedeliver = await app.gql(
      REDELIVER,
      { input: { eventId: event!.id } },
      { token: stranger.secretKey },
    );
    expect(strangerRedeliver.data.redeliverEvent).toMatchObject({ __typename: 'NotFound' });

    const player = await app.gql(SIGN_UP_PLAYER, {
      input: { email: uniqueEmail('player'), password: 'player password 1', displayName: 'P' },
    });
    const playerToken = expectTypename(player.data.signUpPlayer, 'PlayerAuthPayload').token;
    const byPlayer = await app.gql(DELIVERIES, { gameId: game.globalId }, { token: playerToken });
    expect(byPlayer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const playerTest = await app.gql(SEND_TEST, { input: { gameId: game.globalId } }, { token: playerToken });
    expect(playerTest.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(receiver.requests.filter((r) => r.id === event!.id)).toHaveLength(1);
  });
});
