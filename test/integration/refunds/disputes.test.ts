import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  CARDS,
  decodeId,
  inventoryDocument,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
  walletDocument,
} from '../../helpers/flows.js';
import { expectTypename } from '../../helpers/graphql.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';
import { splitFee } from '../../../src/shared/money.js';
import { signWebhook } from '../../../src/acquirer/crypto.js';
import { pollDisputes, refundPurchase } from '../../../src/modules/refunds/index.js';
import { chargesFor } from '../../helpers/charges.js';
import { armAcquirerFault, clearAcquirerFaults } from '../../helpers/acquirer-control.js';
import {
  disputesDocument,
  ledgerLegs,
  operatorContext,
  outboxFor,
  purchaseRefundsDocument,
  refund,
} from './fixtures.js';
import { waitForValue } from '../../helpers/processes.js';

/** The probe's first value (not undefined), polled every 50 ms (the shared waitForValue). */
function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  return waitForValue(probe, ms, 'the condition of this step', 50);
}

/** Asks the sandbox acquirer to raise due disputes now (`all`: every pending one, due or not). */
async function sweep(app: TestApp, all = false): Promise<void> {
  const res = await fetch(`${app.acquirer.url}/v1/test/sweep`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.acquirer.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ all }),
  });
  expect(res.status).toBe(200);
}

async function disputedBuy(
  app: TestApp,
  game: GameSetup,
  player: PlayerSetup,
  sku: string,
  quantity = 1,
): Promise<string> {
  const res = await buy(app, game, player, game.items[sku]!, { quantity });
  const purchase = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
  expect(purchase.status, JSON.stringify(res.data)).toBe('SUCCEEDED');
  return purchase.id;
}

describe('disputes through the poll', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp({
      // the acquirer raises a dispute only when the test sweeps with `all`: a test that refunds first
      // does not race the dispute on a loaded machine
      env: { BACKGROUND_JOBS: 'false', ACQUIRER_DISPUTE_DELAY: '1h', ...ownAcquirerAccount() },
    });
    game = await setUpGame(app);
  });
  afterAll(() => app.close());

  /** Has the acquirer raise the dispute now and polls until the purchase has it recorded. */
  async function pollUntilDisputed(id: string) {
    return until(async () => {
      await sweep(app, true);
      await pollDisputes(operatorContext(app));
      const read = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
      const purchase = read.data.purchase;
      return purchase && purchase.disputes.length > 0 ? purchase : undefined;
    });
  }

  it('records a dispute on the dispute card: purchase REFUNDED and disputed, ledger reversed with the fee, item clawed back, purchase.disputed', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.dispute });
    const id = await disputedBuy(app, game, player, 'skin');
    const purchase = await pollUntilDisputed(id);

    expect(purchase).toMatchObject({
      status: 'REFUNDED',
      disputed: true,
      disputedAmount: { amount: '499' },
      refunded: { amount: '0' },
      refundable: { amount: '0' },
    });
    const { fee, net } = splitFee(499, 3000);
    expect(purchase.disputes).toEqual([
      expect.objectContaining({
        amount: { amount: '499', currency: 'USD' },
        claimedAmount: { amount: '499', currency: 'USD' },
        reason: 'fraudulent',
        feeReturned: { amount: String(fee), currency: 'USD' },
      }),
    ]);
    expect(await ledgerLegs(app, decodeId(id))).toMatchObject({
      'dispute:acquirer_receivable': -499,
      'dispute:platform_revenue': fee,
      'dispute:game_payable': net,
    });
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
    expect(
      (await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken })).data.inventory,
    ).toEqual([]);
    const event = (await outboxFor(app, decodeId(id))).find((e) => e.type === 'purchase.disputed');
    expect(event?.payload).toMatchObject({
      id, // the purchase's one public id, as in GraphQL
      status: 'REFUNDED',
      dispute: { amount: '499', currency: 'USD', reason: 'fraudulent' },
      clawback: { units: 1 },
    });

    // Polling again (and again) records it once.
    await pollDisputes(operatorContext(app));
    await pollDisputes(operatorContext(app));
    const again = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
    expect(again.data.purchase?.disputes).toHaveLength(1);
    expect((await outboxFor(app, decodeId(id))).filter((e) => e.type === 'purchase.disputed')).toHaveLength(1);
    // Nothing is left to refund.
    const late = await refund(app, game.secretKey, id);
    expect(late.data.refundPurchase).toMatchObject({
      __typename: 'RefundExceedsRemaining',
      remaining: { amount: '0' },
    });

    const listed = await app.gql(disputesDocument, { gameId: game.gameId, purchaseId: id }, { token: game.devToken });
    expect(listed.data.disputes.edges).toEqual([
      expect.objectContaining({ node: expect.objectContaining({ purchase: { id, status: 'REFUNDED' } }) }),
    ]);
    const asPlayer = await app.gql(disputesDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(asPlayer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('takes back only what a partial refund left: dispute capped, fee parts summing to the sale fee, remaining units revoked', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.dispute });
    const id = await disputedBuy(app, game, player, 'life', 4); // 396
    const partial = await refund(app, game.secretKey, id, { amount: '100' });
    expect(expectTypename(partial.data.refundPurchase, 'RefundPurchasePayload').purchase.status).toBe(
      'PARTIALLY_REFUNDED',
    );
    const purchase = await pollUntilDisputed(id);

    expect(purchase).toMatchObject({
      status: 'REFUNDED',
      refunded: { amount: '100' },
      disputedAmount: { amount: '296' },
    });
    expect(purchase.disputes[0]).toMatchObject({ amount: { amount: '296' }, claimedAmount: { amount: '396' } });
    const legs = await ledgerLegs(app, decodeId(id));
    expect(legs['refund:acquirer_receivable']! + legs['dispute:acquirer_receivable']!).toBe(-396);
    expect(legs['refund:platform_revenue']! + legs['dispute:platform_revenue']!).toBe(splitFee(396, 3000).fee);
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
    expect(
      (await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken })).data.inventory,
    ).toEqual([]);
  });

  it('tops a capped dispute up when the refund pending at the time is refused (a disputed charge is not refunded): books match what the acquirer took', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.dispute });
    const id = await disputedBuy(app, game, player, 'life', 4); // 396
    const [charge] = await chargesFor(app, decodeId(id));
    // The refund reaches no acquirer: it stays PENDING, its 100 reserved.
    await armAcquirerFault(app, {
      mode: 'error_before_charge',
      path: `/v1/charges/${charge!.id}/refunds`,
      method: 'POST',
      count: 20,
    });
    const key = `pending-refund-${randomUUID()}`;
    const pending = await refund(app, game.secretKey, id, { amount: '100', key });
    expect(expectTypename(pending.data.refundPurchase, 'RefundPurchasePayload').refund.status).toBe('PENDING');
    const capped = await pollUntilDisputed(id);
    expect(capped).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded: { amount: '0' },
      refundPending: { amount: '100' },
      refundable: { amount: '0' },
      disputedAmount: { amount: '296' },
    });
    await clearAcquirerFaults(app);

    // Asked again (same key), the acquirer refuses: the charge is disputed. The freed 100 goes to the dispute.
    const gameSecret = {
      ...operatorContext(app),
      principal: { kind: 'game_secret' as const, gameId: decodeId(game.gameId), developerId: 'dev', keyId: 'key' },
    };
    await expect(
      refundPurchase(gameSecret, {
        purchaseId: decodeId(id),
        amount: { amountMinor: 100, currency: 'USD' },
        reason: 'customer request',
        idempotencyKey: key,
      }),
    ).rejects.toMatchObject({ code: 'REFUND_REJECTED', acquirerCode: 'charge_disputed' });

    const after = (await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey })).data.purchase;
    expect(after).toMatchObject({
      status: 'REFUNDED',
      refunded: { amount: '0' },
      refundPending: { amount: '0' },
      refundable: { amount: '0' },
      disputedAmount: { amount: '396' },
    });
    const { fee } = splitFee(396, 3000);
    expect(after?.disputes).toEqual([
      expect.objectContaining({
        amount: { amount: '396', currency: 'USD' },
        claimedAmount: { amount: '396', currency: 'USD' },
        feeReturned: { amount: String(fee), currency: 'USD' },
      }),
    ]);
    expect(after?.refunds).toEqual([expect.objectContaining({ status: 'FAILED', failureCode: 'charge_disputed' })]);
    const legs = await ledgerLegs(app, decodeId(id));
    expect(legs['dispute:acquirer_receivable']).toBe(-396);
    expect(legs['dispute:platform_revenue']).toBe(fee);
    expect(legs['refund:acquirer_receivable'] ?? 0).toBe(0);
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
    // 2 of the 4 units went with the capped dispute, the other 2 with the top-up.
    expect(
      (await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken })).data.inventory,
    ).toEqual([]);
    const announced = (await outboxFor(app, decodeId(id)))
      .filter((e) => e.type === 'purchase.disputed')
      .map((e) => e.payload);
    expect(announced).toEqual([
      expect.objectContaining({
        dispute: expect.objectContaining({ amount: '296' }),
        clawback: expect.objectContaining({ units: 2 }),
      }),
      expect.objectContaining({
        status: 'REFUNDED',
        dispute: expect.objectContaining({ amount: '396' }),
        clawback: expect.objectContaining({ units: 2 }),
        topUp: expect.objectContaining({ amount: '100' }),
      }),
    ]);
    // Refused again (a replay of the failed refund) changes nothing more.
    await expect(
      refundPurchase(gameSecret, {
        purchaseId: decodeId(id),
        amount: { amountMinor: 100, currency: 'USD' },
        reason: 'customer request',
        idempotencyKey: key,
      }),
    ).rejects.toMatchObject({ code: 'REFUND_REJECTED' });
    expect((await outboxFor(app, decodeId(id))).filter((e) => e.type === 'purchase.disputed')).toHaveLength(2);
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
  });

  it('claws back the unspent gems of a disputed currency pack; spent gems stay spent', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.dispute });
    const id = await disputedBuy(app, game, player, 'gems'); // 500 GEM
    await disputedBuy(app, game, player, 'shield', 3); // 150 GEM spent
    await pollUntilDisputed(id);
    const wallet = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(wallet.data.wallet).toEqual([{ amount: '0', currency: 'GEM' }]);
    const event = (await outboxFor(app, decodeId(id))).find((e) => e.type === 'purchase.disputed');
    expect(event?.payload.clawback).toMatchObject({ currency: '350', currencyKept: '150' });
    await expectLedgerBalanced(app);
  });
});

describe('disputes through the callback', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    // Listening registers POST /acquirer/disputes with the acquirer; no background poll runs.
    app = await createTestApp({
      listen: true,
      env: { BACKGROUND_JOBS: 'false', ACQUIRER_DISPUTE_DELAY: '200ms', ...ownAcquirerAccount() },
    });
    game = await setUpGame(app);
  });
  afterAll(async () => {
    const auth = { authorization: `Bearer ${app.acquirer.secret}`, 'content-type': 'application/json' };
    const registered = await fetch(`${app.acquirer.url}/v1/webhook_endpoints`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: `${app.url}/acquirer/disputes` }),
    });
    const { id } = (await registered.json()) as { id: string };
    await fetch(`${app.acquirer.url}/v1/webhook_endpoints/${id}`, { method: 'DELETE', headers: auth });
    await app.close();
  });

  it('records a dispute pushed by the acquirer without any poll, once even when delivered again; refuses a forged one', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.dispute });
    const id = await disputedBuy(app, game, player, 'skin');
    const purchase = await until(async () => {
      await sweep(app);
      const read = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
      const purchase = read.data.purchase;
      return purchase && purchase.disputes.length > 0 ? purchase : undefined;
    });
    expect(purchase).toMatchObject({ status: 'REFUNDED', disputed: true });
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });

    // The same dispute again, correctly signed: 200, recorded once.
    const listing = await fetch(`${app.acquirer.url}/v1/disputes?since=1970-01-01T00:00:00Z&limit=1000`, {
      headers: { authorization: `Bearer ${app.acquirer.secret}` },
    });
    const data = ((await listing.json()) as { data: { disputeId: string; chargeIdempotencyKey: string }[] }).data.find(
      (d) => d.chargeIdempotencyKey === decodeId(id),
    )!;
    const body = JSON.stringify({ type: 'dispute.created', data });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': data.disputeId,
      'webhook-timestamp': String(timestamp),
    };
    const redelivered = await fetch(`${app.url}/acquirer/disputes`, {
      method: 'POST',
      headers: { ...headers, 'webhook-signature': signWebhook(app.acquirer.secret, data.disputeId, timestamp, body) },
      body,
    });
    expect(redelivered.status).toBe(200);
    expect(await redelivered.json()).toEqual({ received: true, outcome: 'duplicate' });
    const forged = await fetch(`${app.url}/acquirer/disputes`, {
      method: 'POST',
      headers: {
        ...headers,
        'webhook-signature': signWebhook('not-the-acquirer-secret-not-the-acquirer', data.disputeId, timestamp, body),
      },
      body,
    });
    expect(forged.status).toBe(400);
    const after = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
    expect(after.data.purchase?.disputes).toHaveLength(1);
    expect((await outboxFor(app, decodeId(id))).filter((e) => e.type === 'purchase.disputed')).toHaveLength(1);
  });
});

/**
 * An acquirer secret (so an acquirer account) of this file's own: other test apps poll disputes of the
 * shared test account in the background and would record these disputes before this file's own poll does.
 */
function ownAcquirerAccount(): { ACQUIRER_SECRET: string } {
  return { ACQUIRER_SECRET: `disputes-test-secret-${randomUUID()}` };
}
