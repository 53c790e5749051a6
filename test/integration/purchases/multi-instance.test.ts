import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcquirerServer, type AcquirerServer } from '../../../src/acquirer/index.js';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { createPurchaseDocument, decodeId, setUpGame, setUpPlayer } from '../../helpers/flows.js';
import { isTypename } from '../../helpers/graphql.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { closeAgents, httpGql } from '../../helpers/http-client.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';
import { CoinslotProcess, freePort } from '../../helpers/processes.js';
import { createTestApp, testEnv, type TestApp } from '../../helpers/test-app.js';

describe('idempotency across three server processes sharing Redis and Postgres', () => {
  let database: DatabaseHandle;
  let acquirer: AcquirerServer;
  let app: TestApp;
  const processes: CoinslotProcess[] = [];

  beforeAll(async () => {
    const url = await isolatedDatabase('multi');
    database = await openDatabase({ url, dataDir: '.data/test', poolSize: 5 });
    const env = testEnv({ DATABASE_URL: url, WEBHOOK_DISPATCHER: 'off', LOG_LEVEL: 'warn' });
    acquirer = createAcquirerServer({
      db: database.db,
      secret: env.ACQUIRER_SECRET!,
      testMode: true,
      disputeDelayMs: 3_600_000,
      logger: pino({ level: 'silent' }),
    });
    const acquirerUrl = await acquirer.listen(0, '127.0.0.1');
    // One Redis key space for all: the processes share the same REDIS_KEY_PREFIX, as instances of one deployment do.
    const shared = { ...env, ACQUIRER_URL: acquirerUrl };
    app = await createTestApp({ env: { ...shared, BACKGROUND_JOBS: 'false' } });
    for (let i = 0; i < 3; i++) processes.push(new CoinslotProcess(`api-${i}`, await freePort(), shared));
    await Promise.all(processes.map((p) => p.start(60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await closeAgents();
    await app?.close();
    await acquirer?.close();
    await database?.close();
  });

  it('makes one purchase and one charge from 200 identical requests spread over the three', async () => {
    const game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    const player = await setUpPlayer(app, game);
    const input = {
      gameId: game.gameId,
      itemId: game.items.life!.id,
      quantity: 1,
      expectedPrice: game.items.life!.price,
      idempotencyKey: randomUUID(),
    };
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        httpGql(
          processes[i % 3]!.url,
          createPurchaseDocument,
          { input },
          { token: player.gameToken, timeoutMs: 30_000 },
        ),
      ),
    );
    const ids = new Set<string>();
    for (const answer of answers) {
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      const result = answer.data!.createPurchase;
      expect(['PurchasePayload', 'IdempotencyInProgress']).toContain(result.__typename);
      if (isTypename(result, 'PurchasePayload')) ids.add(result.purchase.id);
    }
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(livingCharges(await chargesFor(app, decodeId(id!)))).toHaveLength(1);
    const rows = await database.db.execute(
      `select count(*)::int as n from purchases where game_id = '${decodeId(game.gameId)}'` as never,
    );
    expect((rows as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
  }, 120_000);
});
