import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcquirerServer, type AcquirerServer } from '../../../src/acquirer/index.js';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { armAcquirerFault, clearAcquirerFaults } from '../../helpers/acquirer-control.js';
import {
  createPurchaseDocument,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
} from '../../helpers/flows.js';
import { clientAddress, closeAgents, httpGql, type HttpGqlResult } from '../../helpers/http-client.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';
import type { ResultOf, VariablesOf } from '../../helpers/graphql.js';
import { checkMoneyInvariants, processingCount } from '../../helpers/money-invariants.js';
import { CoinslotProcess, freePort, waitFor } from '../../helpers/processes.js';
import { createTestApp, testEnv, type TestApp } from '../../helpers/test-app.js';

const PLAYERS = 16;

interface Attempt {
  readonly player: PlayerSetup;
  readonly address: string;
  readonly input: VariablesOf<typeof createPurchaseDocument>['input'];
  outcome: HttpGqlResult<ResultOf<typeof createPurchaseDocument>> | Error | null;
}

describe('a Coinslot process killed (SIGKILL) in the middle of a batch of one-tap purchases', () => {
  let url: string;
  let database: DatabaseHandle;
  let acquirer: AcquirerServer;
  let app: TestApp;
  let game: GameSetup;
  let child: CoinslotProcess;
  const players: PlayerSetup[] = [];
  const startedAt = new Date();

  beforeAll(async () => {
    // A database of its own: the child's 3-second recovery would otherwise settle other files' purchases.
    url = await isolatedDatabase('crash');
    database = await openDatabase({ url, dataDir: '.data/test', poolSize: 10 });
    const env = testEnv();
    acquirer = createAcquirerServer({
      db: database.db,
      secret: env.ACQUIRER_SECRET!,
      testMode: true,
      disputeDelayMs: 3_600_000,
      logger: pino({ level: 'silent' }),
    });
    const acquirerUrl = await acquirer.listen(0, '127.0.0.1');
    // In-process, only to set up the game and players (same secrets as the child, so its tokens work there).
    app = await createTestApp({
      env: { DATABASE_URL: url, ACQUIRER_URL: acquirerUrl, BACKGROUND_JOBS: 'false', WEBHOOK_DISPATCHER: 'off' },
    });
    game = await setUpGame(app, [
      { sku: 'life', kind: 'CONSUMABLE', price: '99' },
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
    ]);
    for (let i = 0; i < PLAYERS; i += 8)
      players.push(...(await Promise.all(Array.from({ length: 8 }, () => setUpPlayer(app, game)))));
    child = new CoinslotProcess('coinslot', await freePort(), {
      ...testEnv({
        DATABASE_URL: url,
        ACQUIRER_URL: acquirerUrl,
        ACQUIRER_TIMEOUT: '2s',
        RECOVERY_THRESHOLD: '3s',
        RECOVERY_INTERVAL: '500ms',
        // A retry after the crash meets the dead process's idempotency lock only this long.
        IDEMPOTENCY_LOCK_TTL: '4s',
        WEBHOOK_DISPATCHER: 'off',
        LOG_LEVEL: 'warn',
      }),
    });
    await child.start();
  }, 60_000);

  afterAll(async () => {
    await child?.kill();
    await closeAgents();
    await app?.close();
    await acquirer?.close();
    await database?.close();
  });

  it('leaves every charge with exactly one SUCCEEDED purchase, its inventory and ledger, and nothing PROCESSING after restart', async () => {
    const gameId = decodeId(game.gameId);
    // Charges wait 1.5 s at the acquirer: the kill lands while they are in flight.
    await armAcquirerFault(app, { mode: 'latency', ms: 1_500, path: '/v1/charges', method: 'POST', count: 1_000 });
    const attempts: Attempt[] = players.flatMap((player, i) => {
      const address = clientAddress(i);
      const item = i % 3 === 0 ? game.items.gems! : game.items.life!;
      const buy = (quantity: number, it = item): Attempt => ({
        player,
        address,
        outcome: null,
        input: { gameId: game.gameId, itemId: it.id, quantity, expectedPrice: it.price, idempotencyKey: randomUUID() },
      });
      return [buy(1), buy(1 + (i % 3), game.items.life!)];
    });
    const send = (a: Attempt) =>
      httpGql(
        child.url,
        createPurchaseDocument,
        { input: a.input },
        { token: a.player.gameToken, address: a.address, timeoutMs: 15_000 },
      ).then(
        (result) => (a.outcome = result),
        (error: Error) => (a.outcome = error),
      );
    const inFlight = Promise.all(attempts.map(send));

    // Kill once a good part of the batch is being charged (phase 1 committed, the charge held at the acquirer).
    await waitFor(async () => (await chargesHeld(app)) >= attempts.length / 4, 10_000, 'charges to reach the acquirer');
    await child.kill('SIGKILL');
    await inFlight;
    await clearAcquirerFaults(app);
    const cutOff = attempts.filter((a) => a.outcome instanceof Error).length;
    expect(cutOff, 'requests cut off by the kill').toBeGreaterThan(0);

    // The acquirer finishes the requests it was holding: charged purchases the dead process never settled.
    await waitFor(
      async () => (await strandedCharges(database, gameId)) > 0,
      5_000,
      'a charge whose purchase the kill left PROCESSING',
    );

    await child.start();
    // The clients retry what was cut off, with the same idempotency keys, until they get an answer.
    const retried = attempts.filter((a) => a.outcome instanceof Error);
    await Promise.all(
      retried.map((a) =>
        waitFor(
          async () => {
            await send(a);
            const value = a.outcome instanceof Error ? null : a.outcome?.data?.createPurchase;
            return Boolean(value && !['IdempotencyInProgress', 'ServiceUnavailable'].includes(value.__typename));
          },
          20_000,
          'a retry with the same key to get a final answer',
          300, // a client's pause between retries
        ),
      ),
    );
    await waitFor(
      async () => (await processingCount(database.pool!, gameId)) === 0,
      20_000,
      'recovery to settle every PROCESSING purchase',
      200,
    );

    const report = await checkMoneyInvariants(database.pool!, database.db, { gameId, orphanChargesSince: startedAt });
    expect(report.violations, child.output.slice(-20).join('\n')).toEqual([]);
    expect(report.counts.SUCCEEDED ?? 0).toBeGreaterThan(0);

    // Every answer a client got agrees with the database; one purchase per idempotency key.
    for (const a of attempts) {
      const { rows } = await database.pool!.query(
        'select id, status from purchases where game_id = $1 and idempotency_key = $2',
        [gameId, a.input.idempotencyKey],
      );
      expect(rows.length).toBeLessThanOrEqual(1);
      const value = a.outcome instanceof Error ? null : a.outcome?.data?.createPurchase;
      if (value?.__typename === 'PurchasePayload') {
        expect(rows).toHaveLength(1);
        expect(decodeId(value.purchase.id)).toBe(rows[0].id);
        if (value.purchase.status === 'SUCCEEDED') expect(rows[0].status).toBe('SUCCEEDED');
      }
    }
  }, 90_000);
});

/** How many charge requests the armed latency fault has held so far. */
async function chargesHeld(app: TestApp): Promise<number> {
  const res = await fetch(`${app.acquirer.url}/v1/test/faults`, {
    headers: { authorization: `Bearer ${app.acquirer.secret}` },
  });
  const body = (await res.json()) as { data: { mode: string; remaining: number }[] };
  const latency = body.data.find((f) => f.mode === 'latency');
  return latency ? 1_000 - latency.remaining : 1_000;
}

/** PROCESSING purchases of the game that the acquirer has already charged. */
async function strandedCharges(database: DatabaseHandle, gameId: string): Promise<number> {
  const { rows } = await database.pool!.query(
    `select count(*)::int as n from purchases p join acquirer_charges c on c.idempotency_key = p.id::text
      where p.game_id = $1 and p.status = 'PROCESSING' and c.status = 'approved'`,
    [gameId],
  );
  return rows[0].n as number;
}
