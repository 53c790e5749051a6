import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { freePort, PrivateRedis, waitFor } from '../../helpers/processes.js';

const CATALOG = graphql(`query Catalog($g: ID!) { catalog(gameId: $g) { sku } }`);

/** Redis goes away in the middle of a run: money stops (fail closed), reads go on, and it all comes back. */
describe('purchases when Redis goes away', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  let game: GameSetup;
  let player: PlayerSetup;
  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    app = await createTestApp({ env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '500ms' } });
    game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    player = await setUpPlayer(app, game);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await redis?.kill();
  });

  it('refuses purchases with a retryable ServiceUnavailable and charges nothing, keeps reads working, and recovers without a restart', async () => {
    const before = await buy(app, game, player, game.items.life!);
    expect(expectTypename(before.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');

    await redis.kill();
    const refused = await buy(app, game, player, game.items.life!);
    const answer = refused.data?.createPurchase ?? refused.errors?.[0]?.extensions;
    expect(answer).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const purchases = await app.database.db.execute(
      `select count(*)::int as n from purchases where game_id = '${decodeId(game.gameId)}'` as never,
    );
    expect((purchases as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);

    const catalog = await app.gql(CATALOG, { g: game.gameId }, { token: game.publishableKey });
    expect(catalog.data.catalog).toEqual([{ sku: 'life' }]);
    const ready = await app.app.fetch('http://x/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ redis: 'down', database: 'up' });

    await redis.start();
    await waitFor(
      async () => (await app.app.fetch('http://x/readyz')).status === 200,
      15_000,
      'readiness after Redis returns',
    );
    const after = await buy(app, game, player, game.items.life!);
    expect(expectTypename(after.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
  }, 60_000);
});
