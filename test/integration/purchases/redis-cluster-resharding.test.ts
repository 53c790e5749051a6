// Purchases on a Redis Cluster while its slots move: the idempotency and velocity keys of purchases in
// flight are migrated to another master, clients follow MOVED/ASK (or get a retryable error and retry
// with the same key), and still every purchase is made once and charged once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import {
  createPurchaseDocument,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
} from '../../helpers/flows.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { isTypename } from '../../helpers/graphql.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';
import { LocalRedisCluster, redisCli } from '../../helpers/redis-cluster.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const PLAYERS = 12;
const MIN_PURCHASES_PER_PLAYER = 3;
const MIN_MOVES = 6;
// A slot move is a dozen redis-cli runs: on a loaded machine purchases can outpace the mover, so the
// players keep buying until the moves are done, however long that takes. The app's clock moves a
// minute and a second on with every purchase, so that however many a player makes they stay under
// the fraud rules' per-minute and per-hour limits (200 × 0.99 is under the daily amount, and the
// allowance's daily cap is raised above it); the bound only stops a mover that never finishes.
const MAX_PER_PLAYER = 200;
const CLOCK_STEP_MS = 61_000;

describe('purchases while the Redis Cluster moves slots', () => {
  let cluster: LocalRedisCluster;
  let app: TestApp;
  let prefix: string;
  const clock = new ManualClock();

  beforeAll(async () => {
    cluster = await LocalRedisCluster.start(3);
    app = await createTestApp({
      clock,
      env: {
        REDIS_CLUSTER_URLS: cluster.urls.join(','),
        BACKGROUND_JOBS: 'false',
        // what is tested is resharding, not timeouts: a loaded CI machine may keep a call past 1 s
        REDIS_COMMAND_TIMEOUT: '5s',
      },
    });
    prefix = app.config.REDIS_KEY_PREFIX;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  /** The slot of one of this app's keys (an idempotency record, a velocity counter…), chosen at random. */
  async function liveSlot(): Promise<number | undefined> {
    const keys: string[] = [];
    for (const port of new Set((await cluster.slots()).map((row) => row.port))) {
      keys.push(...(await redisCli(port, '--scan', '--pattern', `${prefix}*`)).split('\n').filter(Boolean));
    }
    const key = keys[Math.floor(Math.random() * keys.length)];
    return key === undefined ? undefined : cluster.keySlot(key);
  }

  /** One purchase under one idempotency key, sent twice at once and retried until it has an outcome. */
  async function purchase(game: GameSetup, player: PlayerSetup): Promise<{ id: string; attempts: number }> {
    const item = game.items.life!;
    const input = {
      gameId: game.gameId,
      itemId: item.id,
      quantity: 1,
      expectedPrice: item.price,
      idempotencyKey: randomUUID(),
    };
    for (let attempt = 1; attempt <= 40; attempt++) {
      const answers = await Promise.all(
        [0, 1].map(() =>
          app.gql(createPurchaseDocument, { input }, { token: player.gameToken }).catch(() => undefined),
        ),
      );
      const done = answers
        .map((answer) => answer?.data?.createPurchase)
        .filter((result) => isTypename(result, 'PurchasePayload'))
        .find((result) => result.purchase.status === 'SUCCEEDED');
      if (done) {
        clock.advance(CLOCK_STEP_MS);
        return { id: done.purchase.id, attempts: attempt };
      }
      for (const answer of answers) {
        const result = answer?.data?.createPurchase;
        // anything but a retryable refusal (the key in use, Redis busy moving) is a failure of the test
        if (
          result &&
          result.__typename !== 'PurchasePayload' &&
          !('retryable' in result && result.retryable === true)
        ) {
          throw new Error(`purchase refused: ${JSON.stringify(result)}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25)); // a client's back-off before it retries
    }
    throw new Error('no outcome after 40 attempts');
  }

  it('makes each purchase once and charges it once while slots holding live keys move', async () => {
    const game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    const players = await Promise.all(
      Array.from({ length: PLAYERS }, () => setUpPlayer(app, game, { dailyCap: '50000' })),
    );

    // Each player keeps buying until at least MIN_MOVES slot moves have finished while purchases ran.
    let buying = true;
    const moved: { slot: number; from: number; to: number }[] = [];
    const mover = (async () => {
      while (buying) {
        const slot = await liveSlot();
        if (slot !== undefined) moved.push({ slot, ...(await cluster.moveSlot(slot)) });
      }
    })();
    const results = await Promise.all(
      players.map(async (player) => {
        const made: { id: string; attempts: number }[] = [];
        while (made.length < MIN_PURCHASES_PER_PLAYER || moved.length < MIN_MOVES) {
          if (made.length >= MAX_PER_PLAYER) throw new Error(`only ${moved.length} slot moves finished`);
          made.push(await purchase(game, player));
        }
        return made;
      }),
    ).finally(() => {
      buying = false;
    });
    await mover;
    await cluster.waitHealthy();

    const all = results.flat();
    expect(moved.length).toBeGreaterThanOrEqual(MIN_MOVES);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    for (const { id } of all) {
      expect(livingCharges(await chargesFor(app, decodeId(id))), id).toHaveLength(1);
      await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
    }
    const rows = await app.database.db.execute(
      `select count(*)::int as n from purchases where game_id = '${decodeId(game.gameId)}'` as never,
    );
    expect((rows as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(all.length);
    console.info(
      `resharding: ${moved.length} slot moves during ${all.length} purchases; ` +
        `${all.filter((r) => r.attempts > 1).length} needed a retry`,
    );
  }, 180_000);
});
