import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  decodeId,
  inventoryDocument,
  setUpGame,
  setUpPlayer,
  walletDocument,
  type GameSetup,
  type PlayerSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';
import { splitFee } from '../../../src/shared/money.js';
import { refundPurchase } from '../../../src/modules/refunds/index.js';
import {
  acquirerRefundsFor,
  ledgerLegs,
  operatorContext,
  outboxFor,
  purchaseRefundsDocument,
  refund,
  refundsDocument,
} from './fixtures.js';

const CONSUME = graphql(`
  mutation ConsumeItem($input: ConsumeItemInput!) {
    consumeItem(input: $input) { __typename ... on ConsumeItemPayload { entry { quantity } } }
  }
`);
/** The refund's answer, expected to be RefundPurchasePayload. */
const refundPayload = (res: Awaited<ReturnType<typeof refund>>) =>
  expectTypename(res.data.refundPurchase, 'RefundPurchasePayload');

describe('refunds', () => {
  let app: TestApp;
  let game: GameSetup;
  let otherGame: GameSetup;
  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
    game = await setUpGame(app, [
      { sku: 'life', kind: 'CONSUMABLE', price: '99' },
      { sku: 'skin', kind: 'DURABLE', price: '499', maxPerPlayer: 1 },
      { sku: 'badge', kind: 'DURABLE', price: '299' },
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
      { sku: 'shield', kind: 'CONSUMABLE', price: '50', currency: 'GEM' },
      { sku: 'p1', kind: 'CONSUMABLE', price: '1' },
      { sku: 'p3', kind: 'CONSUMABLE', price: '3' },
      { sku: 'p7', kind: 'CONSUMABLE', price: '7' },
      { sku: 'p99', kind: 'CONSUMABLE', price: '99' },
    ]);
    otherGame = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
  });
  afterAll(() => app.close());

  async function bought(player: PlayerSetup, sku: string, quantity = 1): Promise<string> {
    const res = await buy(app, game, player, game.items[sku]!, { quantity });
    const purchase = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(purchase.status, JSON.stringify(res.data)).toBe('SUCCEEDED');
    return purchase.id;
  }
  const inventoryOf = async (player: PlayerSetup) =>
    Object.fromEntries(
      (await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken })).data.inventory.map(
        (e) => [e.item.sku, e.quantity],
      ),
    );
  const gemsOf = async (player: PlayerSetup) =>
    Number(
      (await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken })).data.wallet[0]?.amount ?? 0,
    );

  it('refunds a durable in full: money back at the acquirer, fee reversed, item revoked, REFUNDED, purchase.refunded in the outbox', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'skin');
    expect(await inventoryOf(player)).toEqual({ skin: 1 });

    const res = await refund(app, game.secretKey, id, { reason: 'changed their mind' });
    expect(res.errors, res.text).toBeUndefined();
    const payload = refundPayload(res);
    const { fee, net } = splitFee(499, 3000);
    expect(payload.refund).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: '499', currency: 'USD' },
      feeReturned: { amount: String(fee) },
      reason: 'changed their mind',
      requestedBy: 'GAME',
    });
    expect(payload.purchase).toMatchObject({
      status: 'REFUNDED',
      refunded: { amount: '499' },
      refundable: { amount: '0' },
      disputed: false,
    });
    expect(payload.purchase.refunds).toHaveLength(1);

    expect(await inventoryOf(player)).toEqual({});
    expect((await acquirerRefundsFor(app, decodeId(id))).map((r) => Number(r.amount_minor))).toEqual([499]);
    const legs = await ledgerLegs(app, decodeId(id));
    expect(legs).toMatchObject({
      'refund:acquirer_receivable': -499,
      'refund:platform_revenue': fee,
      'refund:game_payable': net,
    });
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });

    const events = await outboxFor(app, decodeId(id));
    const refunded = events.find((e) => e.type === 'purchase.refunded');
    expect(refunded?.payload).toMatchObject({
      status: 'REFUNDED',
      refund: { amount: '499', currency: 'USD', status: 'succeeded' },
      clawback: { units: 1, unitsKept: 0 },
    });
  });

  it('does not reset the purchase limit: a refunded durable with maxPerPlayer 1 cannot be bought again', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'skin');
    expect((await refund(app, game.secretKey, id)).data.refundPurchase.__typename).toBe('RefundPurchasePayload');
    const again = await buy(app, game, player, game.items.skin!);
    expect(again.data.createPurchase.__typename).toBe('LimitReached');
  });

  it('lets a durable taken back by a full refund be bought again when it has no purchase limit, but not one still owned', async () => {
    const player = await setUpPlayer(app, game);
    const partly = await bought(player, 'badge');
    // A partial refund keeps the durable (floor(1 × 100/299) = 0 units go back): it is still owned.
    expect((await refund(app, game.secretKey, partly, { amount: '100' })).data.refundPurchase.__typename).toBe(
      'RefundPurchasePayload',
    );
    expect((await buy(app, game, player, game.items.badge!)).data.createPurchase.__typename).toBe('LimitReached');
    expect(refundPayload(await refund(app, game.secretKey, partly)).purchase.status).toBe('REFUNDED');
    expect(await inventoryOf(player)).toEqual({});
    await bought(player, 'badge');
    expect(await inventoryOf(player)).toEqual({ badge: 1 });
  });

  it('takes two partial refunds that reach the total, then refuses a third with RefundExceedsRemaining', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'life', 4); // 396
    const first = await refund(app, game.secretKey, id, { amount: '100' });
    expect(refundPayload(first).purchase).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded: { amount: '100' },
      refundable: { amount: '296' },
    });
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
    // floor(4 × 100/396) = 1 unit goes back with the first part.
    expect(await inventoryOf(player)).toEqual({ life: 3 });

    const second = await refund(app, game.secretKey, id, { amount: '296' });
    expect(refundPayload(second).purchase).toMatchObject({
      status: 'REFUNDED',
      refunded: { amount: '396' },
      refundable: { amount: '0' },
    });
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
    expect(await inventoryOf(player)).toEqual({});
    const fees = refundPayload(second).purchase.refunds.map((r) => Number(r.feeReturned?.amount));
    expect(fees.reduce((a, b) => a + b, 0)).toBe(splitFee(396, 3000).fee);

    const third = await refund(app, game.secretKey, id, { amount: '1' });
    expect(third.data.refundPurchase).toMatchObject({
      __typename: 'RefundExceedsRemaining',
      code: 'REFUND_EXCEEDS_REMAINING',
      remaining: { amount: '0', currency: 'USD' },
    });
    const tooMuch = await refund(app, game.secretKey, await bought(player, 'life'), { amount: '100' });
    expect(tooMuch.data.refundPurchase).toMatchObject({
      __typename: 'RefundExceedsRemaining',
      remaining: { amount: '99' },
    });
    expect((await acquirerRefundsFor(app, decodeId(id))).map((r) => Number(r.amount_minor))).toEqual([100, 296]);
  });

  it('never refunds more than the total when refunds race', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'skin'); // 499
    const results = await Promise.all(
      Array.from({ length: 8 }, () => refund(app, game.secretKey, id, { amount: '100' })),
    );
    const kinds = results.map((r) => r.data.refundPurchase.__typename);
    expect(kinds.filter((k) => k === 'RefundPurchasePayload')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'RefundExceedsRemaining')).toHaveLength(4);
    const after = await app.gql(purchaseRefundsDocument, { id }, { token: game.secretKey });
    expect(after.data.purchase).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded: { amount: '400' },
      refundable: { amount: '99' },
    });
    expect((await acquirerRefundsFor(app, decodeId(id))).reduce((a, r) => a + Number(r.amount_minor), 0)).toBe(400);
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
  });

  it('refunds a consumable the player partly consumed: the refund goes through, only unconsumed units are revoked', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'life', 5); // 495
    const consumed = await app.gql(
      CONSUME,
      { input: { playerId: player.playerId, itemId: game.items.life!.id, quantity: 3, idempotencyKey: randomUUID() } },
      { token: game.secretKey },
    );
    expect(expectTypename(consumed.data.consumeItem, 'ConsumeItemPayload').entry.quantity).toBe(2);

    const res = await refund(app, game.secretKey, id);
    expect(refundPayload(res).purchase).toMatchObject({ status: 'REFUNDED', refunded: { amount: '495' } });
    expect(await inventoryOf(player)).toEqual({});
    const event = (await outboxFor(app, decodeId(id))).find((e) => e.type === 'purchase.refunded');
    expect(event?.payload.clawback).toMatchObject({ units: 2, unitsKept: 3 });
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
  });

  it('revokes floor(quantity × refunded share) on a partial refund, leaving what was consumed alone', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'life', 10); // 990
    await app.gql(
      CONSUME,
      { input: { playerId: player.playerId, itemId: game.items.life!.id, quantity: 4, idempotencyKey: randomUUID() } },
      { token: game.secretKey },
    );
    await refund(app, game.secretKey, id, { amount: '500' }); // floor(10 × 500/990) = 5 units asked, 6 held
    expect(await inventoryOf(player)).toEqual({ life: 1 });
    await refund(app, game.secretKey, id, { amount: '490' }); // the other 5 asked, 1 held
    expect(await inventoryOf(player)).toEqual({});
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
  });

  it('claws back only unspent gems of a currency pack, in proportion to what is refunded', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'gems'); // 499 → 500 GEM
    await bought(player, 'shield', 2); // spends 100 GEM
    expect(await gemsOf(player)).toBe(400);

    // floor(500 × 200/499) = 200 GEM asked and held.
    await refund(app, game.secretKey, id, { amount: '200' });
    expect(await gemsOf(player)).toBe(200);
    await expectLedgerBalanced(app, { purchaseId: decodeId(id) });

    // The rest asks 300 GEM back; 200 are left, the 100 spent stay spent.
    const rest = await refund(app, game.secretKey, id);
    expect(refundPayload(rest).purchase).toMatchObject({ status: 'REFUNDED', refunded: { amount: '499' } });
    expect(await gemsOf(player)).toBe(0);
    const events = (await outboxFor(app, decodeId(id))).filter((e) => e.type === 'purchase.refunded');
    expect(events.map((e) => e.payload.clawback)).toEqual([
      { units: 0, unitsKept: 0, currency: '200', currencyKept: '0' },
      { units: 0, unitsKept: 0, currency: '200', currencyKept: '100' },
    ]);
    await expectLedgerBalanced(app);
  });

  it('gives a wallet purchase its gems back without the acquirer and takes the item back', async () => {
    const player = await setUpPlayer(app, game);
    await bought(player, 'gems');
    const id = await bought(player, 'shield', 2); // 100 GEM
    expect(await gemsOf(player)).toBe(400);
    const res = await refund(app, game.secretKey, id, { amount: '50', currency: 'GEM' });
    expect(refundPayload(res).purchase).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded: { amount: '50', currency: 'GEM' },
    });
    expect(refundPayload(res).refund.feeReturned).toEqual({ amount: '0', currency: 'GEM' });
    expect(await gemsOf(player)).toBe(450);
    expect(await inventoryOf(player)).toEqual({ shield: 1 });
    expect(await acquirerRefundsFor(app, decodeId(id))).toEqual([]);
    await expectLedgerBalanced(app);
  });

  it('splits the fee of awkward amounts (1, 3, 7, 99 at 3000 bps) without losing a cent, unit by unit', async () => {
    const player = await setUpPlayer(app, game);
    for (const sku of ['p1', 'p3', 'p7', 'p99']) {
      const price = Number(game.items[sku]!.price.amount);
      const id = await bought(player, sku);
      const parts = price === 99 ? [33, 33, 32, 1] : Array.from({ length: price }, () => 1);
      let returned = 0;
      for (const part of parts) {
        const res = await refund(app, game.secretKey, id, { amount: String(part) });
        returned += Number(refundPayload(res).refund.feeReturned?.amount);
        await expectLedgerBalanced(app, { purchaseId: decodeId(id) });
      }
      const { fee, net } = splitFee(price, 3000);
      expect(returned, sku).toBe(fee);
      const legs = await ledgerLegs(app, decodeId(id));
      expect(legs['refund:platform_revenue'] ?? 0, sku).toBe(fee); // a zero leg is not written
      expect(legs['refund:game_payable'], sku).toBe(net);
      expect(legs['refund:acquirer_receivable'], sku).toBe(-price);
    }
    await expectLedgerBalanced(app, { gameId: decodeId(game.gameId) });
  });

  it('answers a repeated refundPurchase with the same refund, with one acquirer refund; other arguments → IdempotencyKeyReused', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'skin');
    const key = `refund-${randomUUID()}`;
    const first = await refund(app, game.secretKey, id, { amount: '200', key });
    const replay = await refund(app, game.secretKey, id, { amount: '200', key });
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const reused = await refund(app, game.secretKey, id, { amount: '300', key });
    expect(reused.data.refundPurchase.__typename).toBe('IdempotencyKeyReused');

    // Without Redis's stored answer, the database still finds the refund by its key.
    const direct = {
      purchaseId: decodeId(id),
      amount: { amountMinor: 200, currency: 'USD' },
      reason: 'customer request',
      idempotencyKey: key,
    };
    const again = await refundPurchase(
      {
        ...operatorContext(app),
        principal: { kind: 'game_secret', gameId: decodeId(game.gameId), developerId: 'x', keyId: 'x' },
      },
      direct,
    );
    expect(again.refund.id).toBe(decodeId(refundPayload(first).refund.id));
    await expect(refundPurchase(operatorContext(app), { ...direct, reason: 'another reason' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect((await acquirerRefundsFor(app, decodeId(id))).map((r) => Number(r.amount_minor))).toEqual([200]);
  });

  it("answers NotFound to another game's secret key, FORBIDDEN to a player or a developer, and lets an operator refund", async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'life');
    const wrongGame = await refund(app, otherGame.secretKey, id);
    expect(wrongGame.data.refundPurchase).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    for (const token of [player.gameToken, player.playerToken, game.devToken]) {
      const refused = await refund(app, token, id);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const byOperator = await refund(app, app.config.secrets.operatorToken, id, { amount: '9' });
    expect(refundPayload(byOperator).refund).toMatchObject({ status: 'SUCCEEDED', requestedBy: 'OPERATOR' });
    const wrongCurrency = await refund(app, game.secretKey, id, { amount: '9', currency: 'EUR' });
    expect(wrongCurrency.data.refundPurchase).toMatchObject({ __typename: 'ValidationError' });
  });

  it('refuses a purchase that has not succeeded with InvalidState', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '0', dailyCap: '0' });
    const waiting = expectTypename(
      (await buy(app, game, player, game.items.life!)).data.createPurchase,
      'PurchasePayload',
    ).purchase;
    expect(waiting.status).toBe('REQUIRES_CONFIRMATION');
    const res = await refund(app, game.secretKey, waiting.id);
    expect(res.data.refundPurchase).toMatchObject({ __typename: 'InvalidState', code: 'INVALID_STATE' });
  });

  it('lists refunds for the developer (own games), the secret key and operators, with filters; not for others', async () => {
    const player = await setUpPlayer(app, game);
    const id = await bought(player, 'life', 2);
    await refund(app, game.secretKey, id, { amount: '10' });
    await refund(app, game.secretKey, id, { amount: '20' });

    const mine = await app.gql(refundsDocument, { gameId: game.gameId, purchaseId: id }, { token: game.devToken });
    expect(mine.errors).toBeUndefined();
    expect(mine.data.refunds.edges.map((e) => e.node.amount.amount)).toEqual(['20', '10']);
    const all = await app.gql(refundsDocument, { first: 100 }, { token: game.devToken });
    expect(all.data.refunds.edges.every((e) => e.node.purchase.id)).toBe(true);
    expect(all.data.refunds.edges.length).toBeGreaterThanOrEqual(2);
    const byKey = await app.gql(refundsDocument, { purchaseId: id, status: 'SUCCEEDED' }, { token: game.secretKey });
    expect(byKey.data.refunds.edges).toHaveLength(2);
    const operator = await app.gql(refundsDocument, { purchaseId: id }, { token: app.config.secrets.operatorToken });
    expect(operator.data.refunds.edges).toHaveLength(2);

    const otherDeveloper = await app.gql(refundsDocument, { gameId: game.gameId }, { token: otherGame.devToken });
    expect(otherDeveloper.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const otherKey = await app.gql(refundsDocument, { purchaseId: id }, { token: otherGame.secretKey });
    expect(otherKey.data.refunds.edges).toEqual([]);
    const asPlayer = await app.gql(refundsDocument, { gameId: game.gameId }, { token: player.playerToken });
    expect(asPlayer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // The buyer sees the refunds on the purchase, without the fee.
    const seen = await app.gql(purchaseRefundsDocument, { id }, { token: player.gameToken });
    expect(seen.data.purchase?.refunds.map((r) => [r.amount.amount, r.feeReturned])).toEqual([
      ['10', null],
      ['20', null],
    ]);
  });
});
