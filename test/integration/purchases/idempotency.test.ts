import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { buyTyped as buy, decodeId, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { expectTypename } from '../../helpers/graphql.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { freePort, PrivateRedis, waitFor } from '../../helpers/processes.js';
import { createClient } from 'redis';

describe('idempotent purchases', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp();
    game = await setUpGame(app);
  });
  afterAll(() => app.close());

  it('replays the stored response byte for byte with Idempotent-Replayed: true', async () => {
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    const first = await buy(app, game, player, game.items.life!, { key });
    const firstId = expectTypename(first.data.createPurchase, 'PurchasePayload').purchase.id;
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const second = await buy(app, game, player, game.items.life!, { key });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(first.text);
    expect(livingCharges(await chargesFor(app, decodeId(firstId)))).toHaveLength(1);
  });

  it('replays a business outcome (a decline) too', async () => {
    const player = await setUpPlayer(app, game, { card: '4000000000000341' });
    const key = randomUUID();
    const first = await buy(app, game, player, game.items.life!, { key });
    expectTypename(first.data.createPurchase, 'CardDeclined');
    const second = await buy(app, game, player, game.items.life!, { key });
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses the same key with another item or price as IdempotencyKeyReused', async () => {
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    await buy(app, game, player, game.items.life!, { key });
    const other = await buy(app, game, player, game.items.skin!, { key });
    expectTypename(other.data.createPurchase, 'IdempotencyKeyReused');
  });

  it('keeps keys of two players apart: the same key makes two purchases', async () => {
    const a = await setUpPlayer(app, game);
    const b = await setUpPlayer(app, game);
    const key = randomUUID();
    const ra = await buy(app, game, a, game.items.life!, { key });
    const rb = await buy(app, game, b, game.items.life!, { key });
    expect(expectTypename(ra.data.createPurchase, 'PurchasePayload').purchase.id).not.toBe(
      expectTypename(rb.data.createPurchase, 'PurchasePayload').purchase.id,
    );
    expect(rb.headers.get('idempotent-replayed')).toBeNull();
  });

  it('returns the original purchase and charges nothing when Redis lost the key (database backstop)', async () => {
    const player = await setUpPlayer(app, game);
    const key = randomUUID();
    const first = await buy(app, game, player, game.items.life!, { key });
    const firstId = expectTypename(first.data.createPurchase, 'PurchasePayload').purchase.id;
    // A second instance with its own (empty) key space stands for a Redis that was flushed or failed over.
    const forgetful = await createTestApp();
    try {
      const again = await buy(forgetful, game, player, game.items.life!, { key });
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      expect(expectTypename(again.data.createPurchase, 'PurchasePayload').purchase.id).toBe(firstId);
      expect(livingCharges(await chargesFor(app, decodeId(firstId)))).toHaveLength(1);
    } finally {
      await forgetful.close();
    }
  });

  it('still makes one purchase after FLUSHALL on a private Redis', async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const own = await createTestApp({ env: { REDIS_URL: redis.url } });
    try {
      const player = await setUpPlayer(own, game);
      const key = randomUUID();
      const first = await buy(own, game, player, game.items.life!, { key });
      const firstId = expectTypename(first.data.createPurchase, 'PurchasePayload').purchase.id;
      const admin = createClient({ url: redis.url });
      await admin.connect();
      await admin.flushAll();
      await admin.quit();
      // the instance that stored the response still has it in memory: the same bytes, replayed
      const again = await buy(own, game, player, game.items.life!, { key });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.text).toBe(first.text);
      // another instance (or this one after a restart) has only the database backstop: the same purchase
      const other = await createTestApp({ env: { REDIS_URL: redis.url } });
      try {
        const elsewhere = await buy(other, game, player, game.items.life!, { key });
        expect(elsewhere.headers.get('idempotent-replayed')).toBeNull();
        expect(expectTypename(elsewhere.data.createPurchase, 'PurchasePayload').purchase.id).toBe(firstId);
      } finally {
        await other.close();
      }
      expect(livingCharges(await chargesFor(own, decodeId(firstId)))).toHaveLength(1);
    } finally {
      await own.close();
      await redis.kill();
    }
  });

  it('forgets a key after the retention window', async () => {
    const short = await createTestApp({ env: { IDEMPOTENCY_RETENTION: '1s' } });
    try {
      const player = await setUpPlayer(short, game);
      const key = randomUUID();
      await buy(short, game, player, game.items.life!, { key });
      expect((await buy(short, game, player, game.items.life!, { key })).headers.get('idempotent-replayed')).toBe(
        'true',
      );
      // Until Redis lets the key expire, a retry is a replay (no side effect); then it runs again.
      let late!: Awaited<ReturnType<typeof buy>>;
      await waitFor(
        async () => {
          late = await buy(short, game, player, game.items.life!, { key });
          return late.headers.get('idempotent-replayed') === null;
        },
        5_000,
        'the key to pass its retention',
        100,
      );
      // …and the database backstop still answers with the same purchase.
      expect(expectTypename(late.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    } finally {
      await short.close();
    }
  });

  it('rejects a key longer than 255 characters or with control characters', async () => {
    const player = await setUpPlayer(app, game);
    for (const key of ['x'.repeat(256), 'tab\there']) {
      const res = await buy(app, game, player, game.items.life!, { key });
      expectTypename(res.data.createPurchase, 'ValidationError');
    }
  });
});
