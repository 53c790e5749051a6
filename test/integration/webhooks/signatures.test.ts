import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookDispatcher } from '../../../src/modules/webhooks/index.js';
import { verifyWebhook, WebhookVerificationError } from '../../../src/sdk/verify-webhook.js';
import type { ManualClock } from '../../../src/shared/clock.js';
import type { TestApp } from '../../helpers/test-app.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import {
  createGameWithWebhook,
  createWebhookTestApp,
  enqueue,
  futureClock,
  startReceiver,
  type ReceivedRequest,
  type Receiver,
  type TestGame,
} from './fixtures.js';

const ROTATE = graphql(`
  mutation RotateWebhookSecret($input: RotateWebhookSecretInput!) {
    rotateWebhookSecret(input: $input) {
      __typename
      ... on RotateWebhookSecretPayload { webhookSecret previousSecretExpiresAt }
      ... on Error { code message }
    }
  }
`);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('webhook signatures', () => {
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

  async function deliverOne(game: TestGame): Promise<ReceivedRequest> {
    const [event] = await enqueue(app, game.gameId, [
      { aggregateId: crypto.randomUUID(), data: { purchaseId: 'p', amount: '100' } },
    ]);
    const dispatcher = createWebhookDispatcher(app.deps, { gameIds: [game.gameId] });
    await dispatcher.tick();
    await dispatcher.stop();
    const request = receiver.requests.find((r) => r.id === event!.id);
    if (!request) throw new Error('not delivered');
    return request;
  }

  it('hands out a whsec_ secret once and keeps it only encrypted', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    expect(game.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const rows = await app.database.pool!.query(
      'select secret_ciphertext, secret_prefix from game_webhook_secrets where game_id = $1',
      [game.gameId],
    );
    expect(rows.rows).toHaveLength(1);
    const key = game.webhookSecret.slice('whsec_'.length);
    expect(rows.rows[0].secret_ciphertext).not.toContain(key);
    expect(rows.rows[0].secret_ciphertext).not.toContain(Buffer.from(key, 'base64').toString('base64url'));
  });

  it('signs per Standard Webhooks: HMAC-SHA256 of "id.timestamp.body" with the key bytes of the secret', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const request = await deliverOne(game);
    const id = request.headers['webhook-id'] as string;
    const timestamp = request.headers['webhook-timestamp'] as string;
    expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(Number(timestamp)).toBe(Math.floor(clock.now().getTime() / 1000));
    const expected = createHmac('sha256', Buffer.from(game.webhookSecret.slice(6), 'base64'))
      .update(`${id}.${timestamp}.${request.body}`)
      .digest('base64');
    expect(request.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toMatchObject({
      id,
      type: 'purchase.succeeded',
      data: { purchaseId: 'p', amount: '100' },
    });
  });

  it('verifyWebhook rejects a tampered body, a wrong secret, an old or future timestamp and missing headers', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const other = await createGameWithWebhook(app, receiver.url);
    const request = await deliverOne(game);
    const now = clock.now();
    const base = { payload: request.body, headers: request.headers, secret: game.webhookSecret, now };
    expect(codeOf(() => verifyWebhook(base))).toBe('accepted');
    expect(codeOf(() => verifyWebhook({ ...base, payload: request.body.replace('"100"', '"1000"') }))).toBe(
      'invalid_signature',
    );
    expect(codeOf(() => verifyWebhook({ ...base, secret: other.webhookSecret }))).toBe('invalid_signature');
    expect(codeOf(() => verifyWebhook({ ...base, now: now.getTime() + 301_000 }))).toBe('timestamp_too_old');
    expect(codeOf(() => verifyWebhook({ ...base, now: now.getTime() - 301_000 }))).toBe('timestamp_too_new');
    expect(codeOf(() => verifyWebhook({ ...base, now: now.getTime() + 299_000 }))).toBe('accepted');
    expect(codeOf(() => verifyWebhook({ ...base, now: now.getTime() + 3_000, toleranceSeconds: 2 }))).toBe(
      'timestamp_too_old',
    );
    // a replay with a fresh timestamp but the old signature does not verify either
    const replayed = { ...request.headers, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000) + 60) };
    expect(codeOf(() => verifyWebhook({ ...base, headers: replayed, now: now.getTime() + 60_000 }))).toBe(
      'invalid_signature',
    );
    const { 'webhook-signature': _dropped, ...unsigned } = request.headers;
    expect(codeOf(() => verifyWebhook({ ...base, headers: unsigned }))).toBe('missing_headers');
    // Fetch-style Headers and bytes work as well as Node's header object and strings
    const headers = new Headers(
      Object.entries(request.headers).filter(([, v]) => typeof v === 'string') as [string, string][],
    );
    expect(verifyWebhook({ ...base, headers, payload: new TextEncoder().encode(request.body) }).id).toBe(request.id);
  });

  it('signs with both secrets during a rotation overlap, then with the new one only', async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const rotated = await app.gql(
      ROTATE,
      { input: { gameId: game.globalId, overlapSeconds: 3600 } },
      { token: game.developerToken },
    );
    const payload = expectTypename(rotated.data.rotateWebhookSecret, 'RotateWebhookSecretPayload');
    const newSecret = payload.webhookSecret;
    expect(newSecret).not.toBe(game.webhookSecret);
    expect(new Date(payload.previousSecretExpiresAt).getTime()).toBe(clock.now().getTime() + 3_600_000);

    const during = await deliverOne(game);
    expect((during.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    for (const secret of [game.webhookSecret, newSecret]) {
      expect(verifyWebhook({ payload: during.body, headers: during.headers, secret, now: clock.now() }).id).toBe(
        during.id,
      );
    }

    clock.advance(3_600_001);
    const after = await deliverOne(game);
    expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
    expect(verifyWebhook({ payload: after.body, headers: after.headers, secret: newSecret, now: clock.now() }).id).toBe(
      after.id,
    );
    expect(
      codeOf(() =>
        verifyWebhook({ payload: after.body, headers: after.headers, secret: game.webhookSecret, now: clock.now() }),
      ),
    ).toBe('invalid_signature');
    // a receiver holding both secrets while it switches accepts either way
    expect(
      verifyWebhook({
        payload: after.body,
        headers: after.headers,
        secret: [game.webhookSecret, newSecret],
        now: clock.now(),
      }).id,
    ).toBe(after.id);
  });

  it("lets only the game's own developer rotate its webhook secret", async () => {
    const game = await createGameWithWebhook(app, receiver.url);
    const stranger = await createGameWithWebhook(app, receiver.url);
    const refused = await app.gql(ROTATE, { input: { gameId: game.globalId } }, { token: stranger.developerToken });
    expect(refused.data.rotateWebhookSecret).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    const request = await deliverOne(game);
    expect(
      verifyWebhook({ payload: request.body, headers: request.headers, secret: game.webhookSecret, now: clock.now() })
        .id,
    ).toBe(request.id);
  });
});
