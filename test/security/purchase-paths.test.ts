// Issue 17 findings 5 and 8 (and issue 19.2): the fraud rules and operator blocks apply to every
// purchase path, and unconfirmed purchases cannot hoard stock. Replays the review's reproductions.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expirePurchases } from '../../src/modules/purchases/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { chargesFor, livingCharges } from '../helpers/charges.js';
import {
  buyTyped as buy,
  CARDS,
  confirmTyped as confirm,
  decodeId,
  purchaseDocument,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
} from '../helpers/flows.js';
import { expectLedgerBalanced } from '../helpers/ledger-check.js';
import { expectTypename, graphql } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const HOLD_MS = 3 * 60_000;
const CANCEL_PURCHASE = graphql(`
  mutation PathsCancelPurchase($input: CancelPurchaseInput!) {
    cancelPurchase(input: $input) { __typename ... on PurchasePayload { purchase { id status } } ... on Error { code message } }
  }
`);
const CREATE_ITEM = graphql(`
  mutation PathsCreateItem($input: CreateItemInput!) {
    createItem(input: $input) { __typename ... on CreateItemPayload { item { id } } }
  }
`);
const ITEM_STOCK = graphql(`query PathsItemStock($id: ID!) { node(id: $id) { __typename ... on Item { stock } } }`);
const BLOCK_PLAYER = graphql(`
  mutation PathsBlockPlayer($input: BlockPlayerInput!) { blockPlayer(input: $input) { __typename } }
`);
const WALLET = graphql(`query PathsWallet($g: ID!) { wallet(gameId: $g) { amount currency } }`);
const RISK_EVENTS = graphql(`
  query PathsRiskEvents($p: ID!) { riskEvents(playerId: $p, first: 1) { edges { node { cardFingerprint } } } }
`);
const BLOCK_CARD = graphql(`
  mutation PathsBlockCardFingerprint($input: BlockCardFingerprintInput!) { blockCardFingerprint(input: $input) { __typename } }
`);

/** The purchase of a createPurchase answer that must be a PurchasePayload. */
const purchaseOf = (res: Awaited<ReturnType<typeof buy>>) =>
  expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;

describe('every purchase path runs the rules; blocks stop them all; unconfirmed purchases hold stock briefly', () => {
  const clock = new ManualClock(Date.now());
  let app: TestApp;
  let game: GameSetup;
  let operatorToken: string;
  beforeAll(async () => {
    app = await createTestApp({ clock, env: { BACKGROUND_JOBS: 'false', PURCHASE_STOCK_HOLD: '3m' } });
    operatorToken = app.config.secrets.operatorToken;
    game = await setUpGame(app, [
      { sku: 'life', kind: 'CONSUMABLE', price: '99' },
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
      { sku: 'shield', kind: 'CONSUMABLE', price: '50', currency: 'GEM' },
    ]);
  });
  afterAll(() => app.close());
  const service = () => ({ deps: app.deps, principal: { kind: 'operator' as const }, requestId: 'test', ip: null });

  async function limitedItem(stock: number) {
    const dev = await app.gql(
      CREATE_ITEM,
      {
        input: {
          gameId: game.gameId,
          sku: `limited-${randomUUID().slice(0, 8)}`,
          name: 'Limited',
          kind: 'CONSUMABLE',
          prices: [{ amount: '199', currency: 'USD' }],
          stock,
        },
      },
      { token: game.devToken },
    );
    const { item } = expectTypename(dev.data.createItem, 'CreateItemPayload');
    return { id: item.id, sku: 'limited', price: { amount: '199', currency: 'USD' } };
  }
  async function stockOf(itemId: string): Promise<number> {
    const res = await app.gql(ITEM_STOCK, { id: itemId }, { token: game.devToken });
    const { stock } = expectTypename(res.data.node, 'Item');
    if (stock === null) throw new Error('a limited item without stock');
    return stock;
  }
  async function statusOf(player: PlayerSetup, purchaseId: string): Promise<string> {
    const res = await app.gql(purchaseDocument, { id: purchaseId }, { token: player.gameToken });
    if (res.data.purchase === null) throw new Error(`no purchase ${purchaseId}: ${res.text}`);
    return res.data.purchase.status;
  }
  async function blockPlayer(player: PlayerSetup) {
    const res = await app.gql(
      BLOCK_PLAYER,
      { input: { playerId: player.playerId, reason: 'chargebacks' } },
      { token: operatorToken },
    );
    expect(res.data.blockPlayer.__typename).toBe('BlockPlayerPayload');
  }
  /** The operator blocks the fingerprint of the card the player's last purchase was assessed with. */
  async function blockCardOf(player: PlayerSetup) {
    const events = await app.gql(RISK_EVENTS, { p: player.playerId }, { token: operatorToken });
    const fingerprint = events.data.riskEvents.edges[0]?.node.cardFingerprint;
    expect(fingerprint).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    if (typeof fingerprint !== 'string') throw new Error(`no card fingerprint: ${events.text}`);
    const blocked = await app.gql(
      BLOCK_CARD,
      { input: { fingerprint, reason: 'reported stolen' } },
      { token: operatorToken },
    );
    expect(blocked.data.blockCardFingerprint.__typename).toBe('BlockCardFingerprintPayload');
  }

  it('a zero-allowance player cannot keep a limited stock: 5 waiting purchases at most, holds lapse', async () => {
    const item = await limitedItem(12);
    const hoarder = await setUpPlayer(app, game, { oneTapMax: '0', dailyCap: '0' });
    const waiting: string[] = [];
    for (let i = 0; i < 5; i++) {
      const purchase = purchaseOf(await buy(app, game, hoarder, item, { quantity: 2 }));
      expect(purchase.status).toBe('REQUIRES_CONFIRMATION');
      // assessed like any other attempt: the decision is on the purchase
      expect(purchase.risk?.decision).toBe('ALLOW');
      waiting.push(purchase.id);
    }
    const sixth = await buy(app, game, hoarder, item, { quantity: 2 });
    expect(expectTypename(sixth.data.createPurchase, 'LimitReached').message).toMatch(
      /5 purchases waiting for confirmation/,
    );
    expect(await stockOf(item.id)).toBe(2);

    // Within the hold, the units are the hoarder's.
    const honest = await setUpPlayer(app, game, { oneTapMax: '5000', dailyCap: '50000' });
    expect((await buy(app, game, honest, item, { quantity: 12 })).data.createPurchase.__typename).toBe('OutOfStock');

    // Once the hold lapses the units are on sale again, without waiting for the sweep.
    clock.advance(HOLD_MS + 1_000);
    const bought = await buy(app, game, honest, item, { quantity: 12 });
    expect(purchaseOf(bought).status, JSON.stringify(bought.data)).toBe('SUCCEEDED');
    expect(await stockOf(item.id)).toBe(0);

    // Confirming after the hold answers OutOfStock and charges nothing; canceling gives back nothing twice.
    const late = await confirm(app, hoarder, waiting[0]!);
    expect(late.data.confirmPurchase).toMatchObject({ __typename: 'OutOfStock' });
    expect(await statusOf(hoarder, waiting[0]!)).toBe('REQUIRES_CONFIRMATION');
    expect(await chargesFor(app, decodeId(waiting[0]!))).toEqual([]);
    for (const id of waiting) {
      const canceled = await app.gql(CANCEL_PURCHASE, { input: { purchaseId: id } }, { token: hoarder.gameToken });
      expect(canceled.errors, JSON.stringify(canceled.errors)).toBeUndefined();
      expect(expectTypename(canceled.data.cancelPurchase, 'PurchasePayload').purchase.status).toBe('CANCELED');
    }
    expect(await stockOf(item.id)).toBe(0);
    await expectLedgerBalanced(app, { gameId: decodeId(game.gameId) });
  });

  it('the sweep gives lapsed holds back, and a confirmation then takes the units again', async () => {
    const item = await limitedItem(3);
    const player = await setUpPlayer(app, game, { oneTapMax: '0', dailyCap: '0' });
    const pending = purchaseOf(await buy(app, game, player, item, { quantity: 3 }));
    expect(await stockOf(item.id)).toBe(0);
    clock.advance(HOLD_MS - 1_000);
    await expirePurchases(service());
    expect(await stockOf(item.id)).toBe(0);
    clock.advance(2_000);
    await expirePurchases(service());
    expect(await stockOf(item.id)).toBe(3);
    const confirmed = await confirm(app, player, pending.id);
    expect(expectTypename(confirmed.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(await stockOf(item.id)).toBe(0);
    expect(livingCharges(await chargesFor(app, decodeId(pending.id)))).toHaveLength(1);
  });

  it('counts unconfirmed purchases in the velocity: 30 in a row are stopped at the per-minute limit', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '0', dailyCap: '0' });
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await buy(app, game, player, game.items.life!);
      const value = res.data.createPurchase;
      outcomes.push(value.__typename === 'PurchasePayload' ? value.purchase.status : value.__typename);
      // canceled at once, so that the cap on waiting purchases is not what stops them
      if (value.__typename === 'PurchasePayload') {
        const canceled = await app.gql(
          CANCEL_PURCHASE,
          { input: { purchaseId: value.purchase.id } },
          { token: player.gameToken },
        );
        expect(canceled.errors, JSON.stringify(canceled.errors)).toBeUndefined();
        expect(expectTypename(canceled.data.cancelPurchase, 'PurchasePayload').purchase.status).toBe('CANCELED');
      }
    }
    expect(outcomes.slice(0, 10)).toEqual(Array(10).fill('REQUIRES_CONFIRMATION'));
    expect(outcomes.slice(10)).toEqual(Array(20).fill('RiskBlocked'));
  });

  it('counts and limits wallet purchases like card ones: the 11th purchase in a minute is refused', async () => {
    const player = await setUpPlayer(app, game);
    expect(purchaseOf(await buy(app, game, player, game.items.gems!)).status).toBe('SUCCEEDED'); // by card: 500 GEM
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const value = (await buy(app, game, player, game.items.shield!)).data.createPurchase;
      if (value.__typename === 'RiskBlocked') expect(value.rulesFired).toEqual(['purchases_per_minute']);
      outcomes.push(value.__typename === 'PurchasePayload' ? value.purchase.status : value.__typename);
    }
    expect(outcomes).toEqual([...Array(9).fill('SUCCEEDED'), 'RiskBlocked']);
    const wallet = async () => (await app.gql(WALLET, { g: game.gameId }, { token: player.gameToken })).data.wallet;
    expect(await wallet()).toEqual([{ amount: '50', currency: 'GEM' }]); // the refused one spent nothing
    clock.advance(60_000); // the oldest purchase leaves the minute
    expect(purchaseOf(await buy(app, game, player, game.items.shield!)).status).toBe('SUCCEEDED');
    expect(await wallet()).toEqual([{ amount: '0', currency: 'GEM' }]);
  });

  it('a blocked player starts nothing: wallet, above-allowance, confirmation, step-up and gift', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '500', dailyCap: '5000' });
    const friend = await setUpPlayer(app, game);
    // Before the block: gems in the wallet, a purchase waiting for confirmation.
    expect(purchaseOf(await buy(app, game, player, game.items.gems!)).status).toBe('SUCCEEDED');
    const item = await limitedItem(5);
    const oneTap = purchaseOf(await buy(app, game, player, item, { quantity: 2 }));
    expect(oneTap.status).toBe('SUCCEEDED');
    const big = await limitedItem(5);
    const bigWaiting = purchaseOf(
      await buy(app, game, player, { ...big, price: { amount: '199', currency: 'USD' } }, { quantity: 3 }),
    );
    expect(bigWaiting.status).toBe('REQUIRES_CONFIRMATION');
    expect(await stockOf(big.id)).toBe(2);

    await blockPlayer(player);
    const wallet = await buy(app, game, player, game.items.shield!);
    expect(wallet.data.createPurchase).toMatchObject({ __typename: 'RiskBlocked', rulesFired: ['player_blocked'] });
    const aboveAllowance = await buy(app, game, player, big, { quantity: 2 });
    expect(aboveAllowance.data.createPurchase.__typename).toBe('RiskBlocked');
    expect(await stockOf(big.id)).toBe(2);
    const gift = await buy(app, game, player, game.items.life!, { giftTo: friend.playerId });
    expect(gift.data.createPurchase.__typename).toBe('RiskBlocked');
    const confirmed = await confirm(app, player, bigWaiting.id);
    expect(confirmed.data.confirmPurchase.__typename).toBe('RiskBlocked');
    expect(await statusOf(player, bigWaiting.id)).toBe('FAILED');
    expect(await stockOf(big.id)).toBe(5);
    expect(await chargesFor(app, decodeId(bigWaiting.id))).toEqual([]);
    const balance = await app.gql(WALLET, { g: game.gameId }, { token: player.gameToken });
    expect(balance.data.wallet).toEqual([{ amount: '500', currency: 'GEM' }]);
  });

  it('a block stops a step-up at the CVC: the held charge is canceled and nothing is charged', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.authRequired });
    const held = purchaseOf(await buy(app, game, player, game.items.life!));
    expect(held).toMatchObject({ status: 'REQUIRES_ACTION', requiresActionReason: expect.any(String) });
    await blockPlayer(player);
    const stepUp = await confirm(app, player, held.id, { cvc: '123' });
    expect(stepUp.data.confirmPurchase.__typename).toBe('RiskBlocked');
    expect(await statusOf(player, held.id)).toBe('FAILED');
    expect(livingCharges(await chargesFor(app, decodeId(held.id)))).toEqual([]);
  });

  it('a blocked card starts nothing, for any player who holds it', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '0', dailyCap: '0' });
    const first = purchaseOf(await buy(app, game, player, game.items.life!));
    await blockCardOf(player);
    expect((await buy(app, game, player, game.items.life!)).data.createPurchase).toMatchObject({
      __typename: 'RiskBlocked',
      rulesFired: ['card_blocked'],
    });
    expect((await confirm(app, player, first.id)).data.confirmPurchase.__typename).toBe('RiskBlocked');
  });

  it('a blocked card stops spending the currency it bought; other players keep spending theirs', async () => {
    // Cards of their own: an earlier test blocked the default test card.
    const holder = await setUpPlayer(app, game, { card: CARDS.amex, oneTapMax: '500', dailyCap: '5000' });
    const other = await setUpPlayer(app, game, { card: CARDS.mastercard, oneTapMax: '500', dailyCap: '5000' });
    for (const player of [holder, other])
      expect(purchaseOf(await buy(app, game, player, game.items.gems!)).status).toBe('SUCCEEDED');
    await blockCardOf(holder);

    // The shield costs gems: no card is charged, yet the gems came from the blocked card.
    expect((await buy(app, game, holder, game.items.shield!)).data.createPurchase).toMatchObject({
      __typename: 'RiskBlocked',
      rulesFired: ['card_blocked'],
    });
    const gift = await buy(app, game, holder, game.items.shield!, { giftTo: other.playerId });
    expect(gift.data.createPurchase).toMatchObject({ __typename: 'RiskBlocked', rulesFired: ['card_blocked'] });
    const held = await app.gql(WALLET, { g: game.gameId }, { token: holder.gameToken });
    expect(held.data.wallet).toEqual([{ amount: '500', currency: 'GEM' }]);
    // A player with a card of their own is not touched by that block.
    expect(purchaseOf(await buy(app, game, other, game.items.shield!)).status).toBe('SUCCEEDED');
    await expectLedgerBalanced(app, { gameId: decodeId(game.gameId) });
  });
});
