import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  decodeId,
  inventoryDocument,
  setUpGame,
  setUpPlayer,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename } from '../../helpers/graphql.js';
import { chargesFor } from '../../helpers/charges.js';
import { armAcquirerFault, clearAcquirerFaults } from '../../helpers/acquirer-control.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { recoverRefunds, refundPurchase } from '../../../src/modules/refunds/index.js';
import { acquirerRefundsFor, operatorContext, purchaseRefundsDocument, refund } from './fixtures.js';

/** The refund's answer, expected to be RefundPurchasePayload. */
const refundPayload = (res: Awaited<ReturnType<typeof refund>>) =>
  expectTypename(res.data.refundPurchase, 'RefundPurchasePayload');

describe('refunds when the acquirer fails', () => {
  let app: TestApp;
  let game: GameSetup;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    app = await createTestApp({
      clock,
      env: { BACKGROUND_JOBS: 'false', ACQUIRER_TIMEOUT: '2s', RECOVERY_THRESHOLD: '30s' },
    });
    game = await setUpGame(app);
  });
  afterAll(() => app.close());

  async function boughtSkin() {
    const player = await setUpPlayer(app, game);
    const res = await buy(app, game, player, game.items.skin!);
    const id = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.id;
    const [charge] = await chargesFor(app, decodeId(id));
    return { player, id, chargeId: charge!.id };
  }

  it('leaves a refund PENDING when the acquirer errs after refunding, and the recovery job completes it with one acquirer refund', async () => {
    const { player, id, chargeId } = await boughtSkin();
    // Every retry of the client fails too: the acquirer refunded on the first, then answered 500.
    await armAcquirerFault(app, {
      mode: 'error_after_charge',
      path: `/v1/charges/${chargeId}/refunds`,
      method: 'POST',
      count: 10,
    });
    const res = await refund(app, game.secretKey, id);
    await clearAcquirerFaults(app);
    expect(refundPayload(res).refund).toMatchObject({ status: 'PENDING', amount: { amount: '499' } });
    expect(refundPayload(res).purchase).toMatchObject({
      status: 'SUCCEEDED',
      refunded: { amount: '0' },
      refundPending: { amount: '499' },
      refundable: { amount: '0' },
    });
    // Reserved: nothing more can be refunded meanwhile, and nothing is booked or revoked yet.
    const meanwhile = await refund(app, game.secretKey, id, { amount: '1' });
    expect(meanwhile.data.refundPurchase).toMatchObject({
      __typename: 'RefundExceedsRemaining',
      remaining: { amount: '0' },
    });
    expect(
      (await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken })).data.inventory,
    ).toHaveLength(1);

    // Too fresh for the job: its own request may still be finishing it.
    expect(await recoverRefunds(operatorContext(app))).toBe(0);
    clock.advance(31_000);
    expect(await recoverRefunds(operatorContext(app))).toBe(1);

    const after = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
    expect(after.data.purchase).toMatchObject({
      status: 'REFUNDED',
      refunded: { amount: '499' },
      refundPending: { amount: '0' },
    });
    expect(after.data.purchase?.refunds).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED', amount: { amount: '499', currency: 'USD' } }),
    ]);
    expect(await acquirerRefundsFor(app, decodeId(id))).toHaveLength(1);
    expect(
      (await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken })).data.inventory,
    ).toEqual([]);
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
    clock.advance(31_000);
    expect(await recoverRefunds(operatorContext(app))).toBe(0);
  });

  it('keeps retrying while the acquirer is down (nothing refunded), then refunds once it answers', async () => {
    const { id, chargeId } = await boughtSkin();
    await armAcquirerFault(app, {
      mode: 'error_before_charge',
      path: `/v1/charges/${chargeId}/refunds`,
      method: 'POST',
      count: 20,
    });
    const res = await refund(app, game.secretKey, id, { amount: '100' });
    expect(refundPayload(res).refund.status).toBe('PENDING');
    clock.advance(31_000);
    expect(await recoverRefunds(operatorContext(app))).toBe(0);
    expect(await acquirerRefundsFor(app, decodeId(id))).toEqual([]);
    await clearAcquirerFaults(app);
    clock.advance(31_000);
    expect(await recoverRefunds(operatorContext(app))).toBe(1);
    const after = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
    expect(after.data.purchase).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded: { amount: '100' },
      refundable: { amount: '399' },
    });
    expect((await acquirerRefundsFor(app, decodeId(id))).map((r) => Number(r.amount_minor))).toEqual([100]);
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
  });

  it('completes a pending refund on a repeat of the same request, and fails a refund the acquirer refuses (its amount refundable again)', async () => {
    const { id, chargeId } = await boughtSkin();
    await armAcquirerFault(app, {
      mode: 'error_before_charge',
      path: `/v1/charges/${chargeId}/refunds`,
      method: 'POST',
      count: 20,
    });
    const key = 'refund-retry-key';
    const first = await refund(app, game.secretKey, id, { amount: '200', key });
    expect(refundPayload(first).refund.status).toBe('PENDING');
    await clearAcquirerFaults(app);
    // The idempotency layer replays the stored PENDING answer; the same request past it (Redis forgot) carries the refund on.
    const replayed = await refund(app, game.secretKey, id, { amount: '200', key });
    expect(replayed.text).toBe(first.text);
    const secretKey = {
      ...operatorContext(app),
      principal: { kind: 'game_secret' as const, gameId: decodeId(game.gameId), developerId: 'dev', keyId: 'key' },
    };
    const carried = await refundPurchase(secretKey, {
      purchaseId: decodeId(id),
      amount: { amountMinor: 200, currency: 'USD' },
      reason: 'customer request',
      idempotencyKey: key,
    });
    expect(carried.refund).toMatchObject({ id: decodeId(refundPayload(first).refund.id), status: 'succeeded' });

    // The card holder got money back outside Coinslot: the acquirer refuses what is no longer refundable.
    const acquirer = app.deps.acquirer;
    await acquirer.refund({ chargeId, amountMinor: 299, idempotencyKey: `outside-${id}` }).catch(() => undefined);
    const refused = await refund(app, game.secretKey, id, { amount: '250' });
    // 200 pending/refunded + 250 fits the purchase (499) but not the charge: the acquirer refuses.
    expect(refused.data.refundPurchase).toMatchObject({
      __typename: 'RefundRejected',
      code: 'REFUND_REJECTED',
      acquirerCode: 'amount_exceeds_refundable',
    });
    const after = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
    const statuses = after.data.purchase?.refunds.map((r) => [r.amount.amount, r.status, r.failureCode]).sort();
    expect(statuses).toEqual([
      ['200', 'SUCCEEDED', null],
      ['250', 'FAILED', 'amount_exceeds_refundable'],
    ]);
    expect(after.data.purchase).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded: { amount: '200' },
      refundable: { amount: '299' },
    });
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
  });
});
