import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  CARDS,
  decodeId,
  purchaseDocument,
  setUpGame,
  setUpPlayer,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { armAcquirerFault, clearAcquirerFaults } from '../../helpers/acquirer-control.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';
import { recoverPurchases, expirePurchases } from '../../../src/modules/purchases/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';

const PURCHASE_STATUSES = graphql(`
  query PurchaseStatuses($g: ID!) { purchases(gameId: $g) { edges { node { id status declineCode } } } }
`);

describe('acquirer faults and recovery', () => {
  let app: TestApp;
  let game: GameSetup;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    // A database of its own: no other test's recovery loop may settle these PROCESSING purchases first.
    const url = await isolatedDatabase('recovery');
    app = await createTestApp({
      clock,
      env: { DATABASE_URL: url, ACQUIRER_TIMEOUT: '1s', RECOVERY_THRESHOLD: '30s', RECOVERY_INTERVAL: '1h' },
    });
    game = await setUpGame(app);
  });
  afterAll(() => app.close());
  const service = () => ({ deps: app.deps, principal: { kind: 'operator' as const }, requestId: 'test', ip: null });

  it('leaves a purchase PROCESSING when the acquirer times out after charging, and recovery finishes it with one charge', async () => {
    const player = await setUpPlayer(app, game);
    await armAcquirerFault(app, {
      mode: 'timeout_after_charge',
      ms: 5_000,
      path: '/v1/charges',
      method: 'POST',
      count: 5,
    });
    const res = await buy(app, game, player, game.items.life!);
    await clearAcquirerFaults(app);
    expect(res.data.createPurchase).toMatchObject({ __typename: 'ServiceUnavailable', retryable: true });
    const list = await app.gql(PURCHASE_STATUSES, { g: game.gameId }, { token: player.gameToken });
    const pending = list.data.purchases.edges[0]?.node;
    if (!pending) throw new Error(`no purchase listed: ${list.text}`);
    expect(pending.status).toBe('PROCESSING');

    clock.advance(31_000);
    expect(await recoverPurchases(service())).toBeGreaterThanOrEqual(1);
    const after = await app.gql(purchaseDocument, { id: pending.id }, { token: player.gameToken });
    expect(after.data.purchase?.status).toBe('SUCCEEDED');
    expect(livingCharges(await chargesFor(app, decodeId(pending.id)))).toHaveLength(1);
    await expectLedgerBalanced(app, { purchaseId: decodeId(pending.id) });
  });

  it('fails a purchase whose charge never happened (error before charge) once recovery finds no charge', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.processingError });
    const res = await buy(app, game, player, game.items.life!);
    expect(res.data.createPurchase.__typename).toBe('ServiceUnavailable');
    const retry = await buy(app, game, player, game.items.life!, { key: undefined });
    expect(retry.data.createPurchase.__typename).toBe('ServiceUnavailable');
    clock.advance(31_000);
    await recoverPurchases(service());
    const list = await app.gql(PURCHASE_STATUSES, { g: game.gameId }, { token: player.gameToken });
    for (const { node } of list.data.purchases.edges) {
      expect(node).toMatchObject({ status: 'FAILED', declineCode: 'processing_error' });
      expect(livingCharges(await chargesFor(app, decodeId(node.id)))).toHaveLength(0);
    }
  });

  it('returns the purchase as it stands to a retry with the same key while it is PROCESSING', async () => {
    const player = await setUpPlayer(app, game);
    await armAcquirerFault(app, { mode: 'error_after_charge', path: '/v1/charges', method: 'POST', count: 10 });
    const key = 'retry-while-processing';
    const first = await buy(app, game, player, game.items.life!, { key });
    expect(first.data.createPurchase.__typename).toBe('ServiceUnavailable');
    const second = await buy(app, game, player, game.items.life!, { key });
    await clearAcquirerFaults(app);
    const processing = expectTypename(second.data.createPurchase, 'PurchasePayload').purchase;
    expect(processing.status).toBe('PROCESSING');
    clock.advance(31_000);
    await recoverPurchases(service());
    const done = await app.gql(purchaseDocument, { id: processing.id }, { token: player.gameToken });
    expect(done.data.purchase?.status).toBe('SUCCEEDED');
    expect(livingCharges(await chargesFor(app, decodeId(processing.id)))).toHaveLength(1);
  });

  it('expires unconfirmed purchases to CANCELED after 15 minutes', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '0', dailyCap: '0' });
    const waiting = expectTypename(
      (await buy(app, game, player, game.items.life!)).data.createPurchase,
      'PurchasePayload',
    ).purchase;
    expect(waiting.status).toBe('REQUIRES_CONFIRMATION');
    clock.advance(14 * 60_000);
    await expirePurchases(service());
    expect(
      (await app.gql(purchaseDocument, { id: waiting.id }, { token: player.gameToken })).data.purchase?.status,
    ).toBe('REQUIRES_CONFIRMATION');
    clock.advance(2 * 60_000);
    expect(await expirePurchases(service())).toBeGreaterThanOrEqual(1);
    expect(
      (await app.gql(purchaseDocument, { id: waiting.id }, { token: player.gameToken })).data.purchase?.status,
    ).toBe('CANCELED');
  });
});
