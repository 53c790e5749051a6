import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Acquirer, ChargeRequest } from '../../../src/shared/acquirer-port.js';
import { recoverPurchases } from '../../../src/modules/purchases/index.js';
import { buyTyped as buy, decodeId, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';
import { checkMoneyInvariants, processingCount } from '../../helpers/money-invariants.js';
import { waitFor } from '../../helpers/processes.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/**
 * Two instances on one database. Instance A commits a purchase PROCESSING (phase 1) and then stalls before
 * its charge request leaves (a GC pause, a stopped VM, a starved event loop: anything that holds a process
 * between two statements). Instance B's recovery loop sees a PROCESSING purchase older than the threshold,
 * finds no charge at the acquirer and fails it. A wakes up and charges under the same key.
 */
describe('recovery on one instance while another is still about to charge the same purchase', () => {
  let url: string;
  let a: TestApp;
  let b: TestApp;
  let game: GameSetup;

  beforeAll(async () => {
    // Its own database: B's recovery with a 1-second threshold would settle other files' purchases.
    url = await isolatedDatabase('recovery_race');
    const env = {
      DATABASE_URL: url,
      BACKGROUND_JOBS: 'false',
      WEBHOOK_DISPATCHER: 'off',
      ACQUIRER_TIMEOUT: '500ms',
      RECOVERY_THRESHOLD: '1s',
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env: { ...env, ACQUIRER_URL: a.acquirer.url } });
    game = await setUpGame(a, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  // Fixed by the charge deadline: every charge request carries notAfter = processingAt + 0.8 × threshold,
  // so a request of a stalled instance is not sent (or refused by the acquirer) once recovery may act.
  it('never leaves a living charge on a purchase that recovery failed (owner stalled between phase 1 and 2)', async () => {
    const player = await setUpPlayer(a, game);
    // A stall of A between the PROCESSING commit and the charge request, released by the test.
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const acquirer = a.deps.acquirer as Acquirer & { charge(request: ChargeRequest): ReturnType<Acquirer['charge']> };
    const charge = acquirer.charge.bind(acquirer);
    acquirer.charge = async (request) => {
      await stalled;
      return charge(request);
    };
    try {
      const answer = buy(a, game, player, game.items.life!);
      const gameId = decodeId(game.gameId);
      await waitFor(
        async () => (await processingCount(a.database.pool!, gameId)) === 1,
        10_000,
        'the purchase to be PROCESSING',
      );
      // Once past the threshold (which is larger than the acquirer timeout), B's recovery finds no charge
      // and fails it; before, a pass claims nothing and changes nothing, so B simply runs until it claims it.
      const service = { deps: b.deps, principal: { kind: 'operator' as const }, requestId: 'race', ip: null };
      await waitFor(
        async () => (await recoverPurchases(service)) === 1,
        10_000,
        "B's recovery to claim the purchase",
        100,
      );
      release();
      const res = await answer;
      const { rows } = await a.database.pool!.query('select status, decline_code from purchases where game_id = $1', [
        gameId,
      ]);
      expect(rows).toEqual([{ status: 'FAILED', decline_code: 'processing_error' }]);
      // The stalled request is not sent: the caller hears "retry", and a retry finds the FAILED purchase.
      expect(['ServiceUnavailable', 'CardDeclined']).toContain(res.data.createPurchase.__typename);
      // The promise: a charge belongs to a SUCCEEDED purchase, or it is voided.
      const report = await checkMoneyInvariants(a.database.pool!, a.database.db, { gameId });
      expect(report.violations).toEqual([]);
    } finally {
      release();
      acquirer.charge = charge;
    }
  }, 30_000);
});
