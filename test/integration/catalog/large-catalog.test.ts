import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { createGame, signUpDeveloper, type CreatedGame } from './flows.js';

// Postgres takes at most 65,535 bind parameters per statement; the prices of a larger catalog are read in batches.
const ITEMS = 70_000;

describe('a catalog larger than one statement can name', () => {
  let app: TestApp;
  let game: CreatedGame;

  beforeAll(async () => {
    app = await createTestApp();
    game = await createGame(app, await signUpDeveloper(app, 'big'));
    await app.database.pool!.query(
      `with made as (
         insert into items (id, game_id, sku, name, kind, created_at, updated_at)
         select gen_random_uuid(), $1, 'sku-' || g, 'Item ' || g, 'CONSUMABLE', now() - interval '1 day' + g * interval '1 millisecond', now()
         from generate_series(1, $2::int) g
         returning id, sku)
       insert into item_prices (item_id, currency, amount_minor) select id, 'USD', substr(sku, 5)::bigint from made`,
      [decodeGlobalID(game.id).id, ITEMS],
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it(`returns all ${ITEMS.toLocaleString('en-US')} items, each with its own price`, async () => {
    const result = await app.gql<{ catalog: { sku: string; prices: { amount: string }[] }[] }>(
      'query ($gameId: ID!) { catalog(gameId: $gameId) { sku prices { amount } } }',
      { gameId: game.id },
      { token: game.publishableKey },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.catalog).toHaveLength(ITEMS);
    expect(result.data.catalog.every((item) => item.prices.length === 1 && item.prices[0]!.amount === item.sku.slice(4))).toBe(true);
  }, 60_000);
});
