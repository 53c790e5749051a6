import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startServer } from '../../../src/composition/index.js';
import { openStores } from '../../../src/composition/index.js';
import { systemClock } from '../../../src/shared/clock.js';
import { createLogger } from '../../../src/logger.js';
import { asTestApp, testEnv, type GqlResponse } from '../../helpers/test-app.js';
import { buyTyped, inventoryDocument, setUpGame, setUpPlayer, walletDocument } from '../../helpers/flows.js';
import { expectTypename, graphql, type ResultOf } from '../../helpers/graphql.js';
import { publicId } from '../../../src/shared/public-ids.js';

const CATALOG_CURRENCIES = graphql(
  `query CatalogCurrencies($g: ID!) { catalog(gameId: $g) { sku prices { currency } } }`,
);
const CATALOG_FORMATTED = graphql(
  `query CatalogFormatted($g: ID!) { catalog(gameId: $g) { id sku prices { formatted } } }`,
);
const CATALOG_PAGE = graphql(`query CatalogPage($g: ID!, $a: ID) { catalog(gameId: $g, first: 1, after: $a) { id } }`);

/** The embedded default: no DATABASE_URL (PGlite in DATA_DIR), the seeded demo, a restart that keeps the data. */
describe('embedded default (PGlite)', () => {
  it('runs a one-tap purchase on PGlite, seeds the demo, and keeps everything across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coinslot-embedded-'));
    const env = { ...testEnv({ DATA_DIR: dataDir, SEED_DEMO: 'true' }) } as Record<string, string | undefined>;
    delete env.DATABASE_URL;
    const config = loadConfig(env as NodeJS.ProcessEnv);
    const first = await startServer(config, { listen: false });
    expect(first.database.kind).toBe('pglite');
    expect(first.demo?.publishableKey).toMatch(/^pk_/);
    const app = asTestApp(first);
    const game = await setUpGame(app, [
      { sku: 'life', kind: 'CONSUMABLE', price: '99' },
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '100', currency: 'GEM' } },
      { sku: 'potion', kind: 'CONSUMABLE', price: '70', currency: 'GEM', stock: 5 },
    ]);
    const player = await setUpPlayer(app, game);
    const bought = await buyTyped(app, game, player, game.items.life!);
    expect(expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    // A wallet purchase is one statement of SQL functions (wallet_purchase): PGlite runs it too,
    // refusal included.
    await buyTyped(app, game, player, game.items.gems!);
    const potion = await buyTyped(app, game, player, game.items.potion!);
    expect(expectTypename(potion.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    const broke = await buyTyped(app, game, player, game.items.potion!);
    expect(expectTypename(broke.data.createPurchase, 'InsufficientFunds').balance).toMatchObject({ amount: '30' });
    const wallet = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(wallet.data.wallet).toEqual([{ amount: '30', currency: 'GEM' }]);
    // Two demo games, each its own game with its own catalog.
    const demoGameId = publicId('Game', first.demo!.gameId);
    expect(first.demo?.second?.gameId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.demo?.second?.gameId).not.toBe(first.demo?.gameId);
    const garden = await app.gql(
      CATALOG_CURRENCIES,
      { g: publicId('Game', first.demo!.second!.gameId) },
      { token: first.demo!.second!.publishableKey },
    );
    expect(garden.data.catalog.map((i) => i.sku)).toEqual(
      expect.arrayContaining(['heart-bloom', 'rose-petals', 'seed-bag', 'leaf-shield']),
    );
    const demoCatalog = await app.gql(
      CATALOG_FORMATTED,
      {
        g: demoGameId,
      },
      { token: first.demo!.publishableKey },
    );
    expect(demoCatalog.data.catalog.map((i) => i.sku)).toEqual(
      expect.arrayContaining(['extra-life', 'golden-skin', 'gems-500', 'shield']),
    );
    // Paging (the keyset after an item) runs on PGlite too: one item at a time gives the same list.
    const paged: string[] = [];
    for (let after: string | null = null; ; ) {
      const page: GqlResponse<ResultOf<typeof CATALOG_PAGE>> = await app.gql(
        CATALOG_PAGE,
        { g: demoGameId, a: after },
        { token: first.demo!.publishableKey },
      );
      expect(page.errors).toBeUndefined();
      const [item] = page.data.catalog;
      if (item === undefined) break;
      after = item.id;
      paged.push(item.id);
    }
    expect(paged).toEqual(demoCatalog.data.catalog.map((i) => i.id));
    await first.close();

    const second = await startServer(config, { listen: false });
    try {
      const again = asTestApp(second);
      const inventory = await again.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken });
      expect(inventory.data.inventory).toEqual([
        { quantity: 1, item: { id: game.items.life!.id, sku: 'life' } },
        { quantity: 1, item: { id: game.items.potion!.id, sku: 'potion' } },
      ]);
      expect(second.demo?.gameId).toBe(first.demo?.gameId);
      expect(second.demo?.second?.gameId).toBe(first.demo?.second?.gameId);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('falls back to the in-process store only when REDIS_URL was not set and nothing answers', async () => {
    const logger = createLogger('silent');
    const base = loadConfig(testEnv());
    const unset = await openStores(
      { ...base, REDIS_URL: 'redis://127.0.0.1:1', redisUrlWasSet: false },
      systemClock,
      logger,
    );
    expect(unset.storeHealth.kind).toBe('memory');
    await unset.close();
    const configured = await openStores(
      { ...base, REDIS_URL: 'redis://127.0.0.1:1', redisUrlWasSet: true },
      systemClock,
      logger,
    );
    try {
      expect(configured.storeHealth.kind).toBe('redis');
      expect(await configured.storeHealth.ping()).toBe(false);
    } finally {
      await configured.close();
    }
  }, 30_000);
});
