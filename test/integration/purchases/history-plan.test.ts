import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type GqlResponse, type TestApp } from '../../helpers/test-app.js';
import { expectTypename, graphql, type ResultOf } from '../../helpers/graphql.js';
import {
  buyTyped as buy,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
} from '../../helpers/flows.js';

// A player's history page must read about one page of rows however long the history is. Two
// versions read the whole of it: an OR of buyer and recipient (on stale statistics Postgres walked
// the game's purchases), and a UNION ALL whose recipient branch filtered out the player's own
// purchases row by row (bench/RESULTS.md, session 4). This runs the history query the API sends,
// captured from the driver, under EXPLAIN ANALYZE, and counts the rows its scans read.
const HISTORY = graphql(`
  query History($g: ID!, $first: Int) { purchases(gameId: $g, first: $first) { edges { node { id } } } }
`);
const OWN_PURCHASES = 3_000;

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function rowsScanned(node: PlanNode): number {
  // what a scan returned and what it read only to filter out
  const own = /Scan/.test(node['Node Type'])
    ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops']
    : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsScanned(child), 0);
}

describe('a player history page', () => {
  let app: TestApp;
  let game: GameSetup;
  let player: PlayerSetup;
  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
    game = await setUpGame(app);
    player = await setUpPlayer(app, game, { oneTapMax: '1000', dailyCap: '100000' });
    const friend = await setUpPlayer(app, game, { oneTapMax: '1000', dailyCap: '100000' });
    const first = await buy(app, game, player, game.items.life!);
    const firstPurchase = expectTypename(first.data.createPurchase, 'PurchasePayload').purchase;
    expect(firstPurchase.status).toBe('SUCCEEDED');
    // a long history of the player's own purchases (copies of the first, a millisecond apart) and a few gifts from a friend
    const pool = app.database.pool as pg.Pool;
    await pool.query(
      `insert into purchases (id, game_id, player_id, recipient_id, item_id, quantity, unit_price_minor, amount_minor, currency, fee_bps,
                              status, path, idempotency_key, created_at, updated_at)
       select gen_random_uuid(), game_id, player_id, recipient_id, item_id, quantity, unit_price_minor, amount_minor, currency, fee_bps,
              'SUCCEEDED', path, 'history-' || n, created_at - n * interval '1 millisecond', updated_at
       from purchases, generate_series(1, $2::int) as n
       where id = $1::uuid`,
      [decodeId(firstPurchase.id), OWN_PURCHASES],
    );
    for (let i = 0; i < 3; i++) await buy(app, game, friend, game.items.life!, { giftTo: player.playerId });
    await pool.query('analyze purchases');
  }, 60_000);
  afterAll(() => app?.close());

  it('reads about a page of rows from a history of thousands', async () => {
    const captured: { text: string; values: unknown[] }[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, config: unknown, values?: unknown, ...rest: unknown[]) {
      const text = typeof config === 'string' ? config : ((config as { text?: string })?.text ?? '');
      if (/from "purchases"/.test(text) && /union/i.test(text))
        captured.push({ text, values: (values as unknown[]) ?? [] });
      return (query as (...args: unknown[]) => unknown).call(this, config, values, ...rest);
    } as typeof query;
    let page: GqlResponse<ResultOf<typeof HISTORY>>;
    try {
      page = await app.gql(HISTORY, { g: game.gameId, first: 20 }, { token: player.gameToken });
    } finally {
      pg.Client.prototype.query = query;
    }
    expect(page.errors).toBeUndefined();
    expect(page.data.purchases.edges).toHaveLength(20);
    expect(captured).toHaveLength(1);

    const pool = app.database.pool as pg.Pool;
    const { rows } = await pool.query(`explain (analyze, format json) ${captured[0]!.text}`, captured[0]!.values);
    const plan = (rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
    // two branches of a page each (plus one row to tell whether more follow), and a few rows an
    // index scan may filter out (the planner may read this game's index, where the gifts sit too)
    expect(rowsScanned(plan)).toBeLessThanOrEqual(4 * 21);
  });
});
