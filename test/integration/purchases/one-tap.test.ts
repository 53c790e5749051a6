import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  cancelPurchaseDocument,
  CARDS,
  confirmTyped as confirm,
  decodeId,
  inventoryDocument,
  purchaseDocument,
  setUpGame,
  setUpPlayer,
  walletDocument,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';

const PURCHASES = graphql(`
  query Purchases($gameId: ID!) { purchases(gameId: $gameId) { edges { node { id status declineCode risk { decision } } } } }
`);

describe('one-tap purchases', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp();
    game = await setUpGame(app);
  });
  afterAll(() => app.close());

  it('charges the default card at once within the allowance and delivers the item', async () => {
    const player = await setUpPlayer(app, game);
    const res = await buy(app, game, player, game.items.life!);
    const purchase = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(purchase).toMatchObject({
      status: 'SUCCEEDED',
      oneTap: true,
      paidWith: 'CARD',
      price: { amount: '99', currency: 'USD', formatted: '$0.99' },
    });
    expect(purchase.card).toEqual({ brand: 'visa', last4: expect.stringMatching(/^\d{4}$/) });
    expect(purchase.receipt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(purchase.fee).toBeNull(); // the player's game token does not see fees
    const inventory = await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(inventory.data.inventory).toEqual([{ quantity: 1, item: { id: game.items.life!.id, sku: 'life' } }]);
    expect(livingCharges(await chargesFor(app, decodeId(purchase.id)))).toHaveLength(1);
    await expectLedgerBalanced(app, { purchaseId: decodeId(purchase.id) });
  });

  it('credits a currency pack to the wallet, and gems pay for a gem-priced item without a card charge', async () => {
    const player = await setUpPlayer(app, game);
    const pack = await buy(app, game, player, game.items.gems!);
    expect(expectTypename(pack.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    const wallet = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(wallet.data.wallet).toEqual([{ amount: '500', currency: 'GEM' }]);
    const shield = await buy(app, game, player, game.items.shield!);
    const paid = expectTypename(shield.data.createPurchase, 'PurchasePayload').purchase;
    expect(paid).toMatchObject({ status: 'SUCCEEDED', paidWith: 'WALLET', card: null });
    const after = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(after.data.wallet).toEqual([{ amount: '450', currency: 'GEM' }]);
    expect(await chargesFor(app, decodeId(paid.id))).toHaveLength(0);
    await expectLedgerBalanced(app);
  });

  it('answers each declining test card with CardDeclined and its code, leaving a FAILED purchase and nothing granted', async () => {
    for (const [card, code] of [[CARDS.declinesLater, 'card_declined']] as const) {
      const player = await setUpPlayer(app, game, { card });
      const res = await buy(app, game, player, game.items.life!);
      const declined = expectTypename(res.data.createPurchase, 'CardDeclined');
      expect(declined.declineCode).toBe(code);
      const purchaseId = declined.purchaseId;
      if (purchaseId === null) throw new Error('a decline after the purchase was made names it');
      const read = await app.gql(purchaseDocument, { id: purchaseId }, { token: player.gameToken });
      expect(read.data.purchase).toMatchObject({ status: 'FAILED', declineCode: code });
      const inventory = await app.gql(inventoryDocument, { gameId: game.gameId }, { token: player.gameToken });
      expect(inventory.data.inventory).toEqual([]);
    }
  });

  it('asks for the CVC when the bank requires authentication, then completes with one charge', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.authRequired });
    const res = await buy(app, game, player, game.items.life!);
    const waiting = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(waiting).toMatchObject({ status: 'REQUIRES_ACTION', requiresActionReason: 'AUTHENTICATION' });
    expect(waiting.payUrl).toMatch(/^\/pay\//);
    const noCvc = await confirm(app, player, waiting.id);
    expect(expectTypename(noCvc.data.confirmPurchase, 'ValidationError').fieldErrors).toMatchObject([
      { path: 'input.cvc' },
    ]);
    const done = await confirm(app, player, waiting.id, { cvc: '123' });
    expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(livingCharges(await chargesFor(app, decodeId(waiting.id)))).toHaveLength(1);
    await expectLedgerBalanced(app, { purchaseId: decodeId(waiting.id) });
  });

  it('blocks and voids a charge the acquirer marks highest risk', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.highestRisk });
    const res = await buy(app, game, player, game.items.life!);
    expect(expectTypename(res.data.createPurchase, 'RiskBlocked').rulesFired).toContain('acquirer_highest_risk');
    const listed = await app.gql(PURCHASES, { gameId: game.gameId }, { token: player.gameToken });
    const nodes = listed.data.purchases.edges.map((e) => e.node);
    expect(nodes).toHaveLength(1);
    const purchase = nodes[0]!;
    expect(purchase).toMatchObject({ status: 'FAILED', declineCode: 'risk_blocked', risk: { decision: 'BLOCK' } });
    expect(livingCharges(await chargesFor(app, decodeId(purchase.id)))).toHaveLength(0);
  });

  it('steps up an elevated-risk charge to the CVC and charges once after it', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.elevatedRisk });
    const res = await buy(app, game, player, game.items.life!);
    const waiting = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(waiting).toMatchObject({
      status: 'REQUIRES_ACTION',
      requiresActionReason: 'STEP_UP',
      risk: { decision: 'STEP_UP' },
    });
    const done = await confirm(app, player, waiting.id, { cvc: '123' });
    expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(livingCharges(await chargesFor(app, decodeId(waiting.id)))).toHaveLength(1);
    await expectLedgerBalanced(app, { purchaseId: decodeId(waiting.id) });
  });

  it('waits for confirmation above the allowance and charges when the player confirms in the pay sheet', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '500', dailyCap: '1000' });
    const res = await buy(app, game, player, game.items.big!);
    const waiting = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(waiting).toMatchObject({
      status: 'REQUIRES_CONFIRMATION',
      confirmationReason: 'ABOVE_ONE_TAP_MAX',
      oneTap: false,
      payUrl: expect.stringContaining('/pay/'),
    });
    expect(await chargesFor(app, decodeId(waiting.id))).toHaveLength(0);
    const done = await confirm(app, player, waiting.id);
    expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(livingCharges(await chargesFor(app, decodeId(waiting.id)))).toHaveLength(1);
  });

  it('counts the daily cap: one-tap purchases beyond it wait for confirmation', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '499', dailyCap: '998' });
    const life = await buy(app, game, player, game.items.life!);
    expect(expectTypename(life.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    const skin = await buy(app, game, player, game.items.skin!);
    expect(expectTypename(skin.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED'); // 99 + 499 = 598 ≤ 998
    const again = await buy(app, game, player, game.items.gems!); // 598 + 499 > 998
    expect(expectTypename(again.data.createPurchase, 'PurchasePayload').purchase).toMatchObject({
      status: 'REQUIRES_CONFIRMATION',
      confirmationReason: 'DAILY_CAP',
    });
    // Once confirmed it says no more why it waited; one that never waited never had a reason.
    const done = await confirm(app, player, expectTypename(again.data.createPurchase, 'PurchasePayload').purchase.id);
    expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase).toMatchObject({
      status: 'SUCCEEDED',
      confirmationReason: null,
    });
    expect(expectTypename(skin.data.createPurchase, 'PurchasePayload').purchase.confirmationReason).toBeNull();
  });

  it('says the player asked to be asked every time when the allowance is zero', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '0', dailyCap: '1000' });
    const res = await buy(app, game, player, game.items.life!);
    expect(expectTypename(res.data.createPurchase, 'PurchasePayload').purchase).toMatchObject({
      status: 'REQUIRES_CONFIRMATION',
      confirmationReason: 'ALWAYS_ASK',
    });
  });

  it('a game token of another player cannot confirm, and the buyer can cancel; stock comes back', async () => {
    const limited = await setUpGame(app, [{ sku: 'rare', kind: 'CONSUMABLE', price: '2000', stock: 1 }]);
    const player = await setUpPlayer(app, limited);
    const pending = await buy(app, limited, player, limited.items.rare!);
    const waiting = expectTypename(pending.data.createPurchase, 'PurchasePayload').purchase;
    expect(waiting.status).toBe('REQUIRES_CONFIRMATION');
    const other = await setUpPlayer(app, limited);
    expectTypename((await confirm(app, other, waiting.id)).data.confirmPurchase, 'NotFound');
    const soldOut = await buy(app, limited, other, limited.items.rare!);
    expect(expectTypename(soldOut.data.createPurchase, 'OutOfStock').available).toBe(0);
    const canceled = await app.gql(
      cancelPurchaseDocument,
      { input: { purchaseId: waiting.id } },
      { token: player.gameToken },
    );
    expect(expectTypename(canceled.data.cancelPurchase, 'PurchasePayload').purchase.status).toBe('CANCELED');
    const bought = await buy(app, limited, other, limited.items.rare!, { price: { amount: '2000', currency: 'USD' } });
    expect(expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase.status).toBe('REQUIRES_CONFIRMATION');
  });
});
