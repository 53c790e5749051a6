import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armAcquirerFault, clearAcquirerFaults } from '../../helpers/acquirer-control.js';
import {
  buyTyped as buy,
  createPurchaseDocument,
  setUpGame,
  setUpPlayer,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename } from '../../helpers/graphql.js';
import { waitFor } from '../../helpers/processes.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

describe('idempotency and limits over HTTP', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false', WEBHOOK_DISPATCHER: 'off' } });
    game = await setUpGame(app);
  });
  afterAll(() => app?.close());

  it('answers IdempotencyInProgress with a Retry-After header, and the first request still completes', async () => {
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    await armAcquirerFault(app, { mode: 'latency', ms: 4_000, path: '/v1/charges', method: 'POST', count: 1 });
    try {
      const first = buy(app, game, player, game.items.life!, { key });
      // The first holds the key once its purchase row exists (phase 1 ran under the lock).
      await waitFor(
        async () =>
          ((await app.database.pool!.query('select 1 from purchases where idempotency_key = $1', [key])).rowCount ??
            0) > 0,
        10_000,
        'the first purchase to start',
      );
      const second = await buy(app, game, player, game.items.life!, { key });
      const inProgress = expectTypename(second.data.createPurchase, 'IdempotencyInProgress');
      const seconds = Number(second.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBe(inProgress.retryAfterSeconds);
      expect(expectTypename((await first).data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    } finally {
      await clearAcquirerFaults(app);
    }
  });

  it('sets no Retry-After on answers that are not retryable', async () => {
    const player = await setUpPlayer(app, game);
    const ok = await buy(app, game, player, game.items.life!);
    expect(expectTypename(ok.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(ok.headers.get('retry-after')).toBeNull();
    const changed = await buy(app, game, player, game.items.life!, { price: { amount: '1', currency: 'USD' } });
    expect(changed.data.createPurchase.__typename).toBe('PriceChanged');
    expect(changed.headers.get('retry-after')).toBeNull();
  });

  it('stores nothing for a request its own validation refused: the corrected retry with the same key runs', async () => {
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    const refused = await buy(app, game, player, game.items.life!, { key, quantity: 0 });
    expect(refused.status).toBe(200);
    expect(refused.data.createPurchase.__typename).toBe('ValidationError');
    const corrected = await buy(app, game, player, game.items.life!, { key });
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
    expect(expectTypename(corrected.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    // …and from then on the key is the corrected request's: a replay.
    const again = await buy(app, game, player, game.items.life!, { key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('stores nothing for variables that do not coerce (HTTP 400): the corrected retry with the same key runs', async () => {
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    const input = {
      gameId: game.gameId,
      itemId: game.items.life!.id,
      expectedPrice: game.items.life!.price,
      idempotencyKey: key,
    };
    // the document's string form: these variables are deliberately of the wrong type (quantity 'two')
    const refused = await app.gql(
      print(createPurchaseDocument),
      { input: { ...input, quantity: 'two' } },
      { token: player.gameToken },
    );
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    const corrected = await app.gql(
      createPurchaseDocument,
      { input: { ...input, quantity: 1 } },
      { token: player.gameToken },
    );
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
    expect(expectTypename(corrected.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
  });

  it('still stores and replays a business outcome (PriceChanged)', async () => {
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    const price = { amount: '1', currency: 'USD' };
    const first = await buy(app, game, player, game.items.life!, { key, price });
    expect(first.data.createPurchase.__typename).toBe('PriceChanged');
    const second = await buy(app, game, player, game.items.life!, { key, price });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(first.text);
  });
});
