import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTypename } from '../../helpers/graphql.js';
import {
  buyTyped as buy,
  decodeId,
  setUpGame,
  setUpPlayer,
  walletDocument,
  type GameSetup,
  type PlayerSetup,
} from '../../helpers/flows.js';
import { checkMoneyInvariants } from '../../helpers/money-invariants.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/**
 * A wallet purchase is one statement (wallet_purchase, drizzle/0019): what it writes when it
 * succeeds, and that every refusal answers its typed error and writes nothing.
 */
describe('a purchase paid from the wallet in one statement', () => {
  let app: TestApp;
  let game: GameSetup;

  beforeAll(async () => {
    app = await createTestApp();
    game = await setUpGame(app, [
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '100', currency: 'GEM' } },
      { sku: 'potion', kind: 'CONSUMABLE', price: '30', currency: 'GEM', stock: 3 },
      { sku: 'crown', kind: 'DURABLE', price: '10', currency: 'GEM' },
      { sku: 'elixir', kind: 'CONSUMABLE', price: '5', currency: 'GEM', maxPerPlayer: 1 },
      { sku: 'statue', kind: 'CONSUMABLE', price: '500', currency: 'GEM', stock: 10 },
    ]);
  }, 60_000);
  afterAll(() => app?.close());

  async function richPlayer(): Promise<PlayerSetup> {
    const player = await setUpPlayer(app, game);
    const gems = await buy(app, game, player, game.items.gems!);
    expect(expectTypename(gems.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    return player;
  }

  /** Everything a wallet purchase of this player may write. */
  async function state(player: PlayerSetup) {
    const pool = app.database.pool!;
    const playerId = decodeId(player.playerId);
    const gameId = decodeId(game.gameId);
    const one = async (text: string, params: unknown[]) => (await pool.query(text, params)).rows;
    return {
      purchases: await one('select id, status from purchases where player_id = $1 order by id', [playerId]),
      ledger: await one('select kind, reference from ledger_transactions where game_id = $1 order by id', [gameId]),
      wallets: await one(
        `select currency, balance_minor from ledger_accounts where player_id = $1 and kind = 'player_wallet'`,
        [playerId],
      ),
      stock: await one('select sku, stock from items where game_id = $1 order by sku', [gameId]),
      inventory: await one('select item_id, quantity from inventory_entries where player_id = $1 order by item_id', [
        playerId,
      ]),
      outbox: await one('select count(*)::int as n from outbox_events where game_id = $1', [gameId]),
      risk: await one('select count(*)::int as n from risk_events where player_id = $1', [playerId]),
    };
  }

  it('spends, grants, settles with a receipt and its events, and the books balance', async () => {
    const player = await richPlayer();
    const res = await buy(app, game, player, game.items.potion!);
    const purchase = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(purchase).toMatchObject({ status: 'SUCCEEDED', paidWith: 'WALLET' });
    expect(purchase.receipt).toEqual(expect.any(String));
    const wallet = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(wallet.data.wallet).toEqual([{ amount: '70', currency: 'GEM' }]);
    const id = decodeId(purchase.id);
    const pool = app.database.pool!;
    const row = (
      await pool.query('select path, fee_minor, processing_at, succeeded_at, receipt from purchases where id = $1', [
        id,
      ])
    ).rows[0];
    expect(row).toMatchObject({ path: 'wallet', fee_minor: 0 });
    expect(row.processing_at).not.toBeNull();
    expect(row.succeeded_at).not.toBeNull();
    const events = await pool.query(
      'select type, sequence from outbox_events where aggregate_id = $1 order by sequence',
      [id],
    );
    expect(events.rows).toEqual([
      { type: 'purchase.succeeded', sequence: 1 },
      { type: 'item.granted', sequence: 2 },
    ]);
    const postings = await pool.query('select kind, reason from ledger_transactions where purchase_id = $1', [id]);
    expect(postings.rows).toEqual([{ kind: 'wallet_spend', reason: 'purchase' }]);
    expect((await pool.query('select count(*)::int as n from risk_events where purchase_id = $1', [id])).rows).toEqual([
      { n: 1 },
    ]);
    const report = await checkMoneyInvariants(pool, app.database.db, { gameId: decodeId(game.gameId) });
    expect(report.violations).toEqual([]);
  });

  it('refuses too little in the wallet with InsufficientFunds and writes nothing, stock included', async () => {
    const player = await richPlayer();
    const before = await state(player);
    const res = await buy(app, game, player, game.items.statue!);
    expect(expectTypename(res.data.createPurchase, 'InsufficientFunds').balance).toEqual({
      amount: '100',
      currency: 'GEM',
    });
    expect(await state(player)).toEqual(before);
  });

  it('refuses with OutOfStock, LimitReached for a durable owned and past maxPerPlayer, and writes nothing', async () => {
    const player = await richPlayer();
    for (const sku of ['crown', 'elixir'] as const) {
      const first = await buy(app, game, player, game.items[sku]!);
      expect(expectTypename(first.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    }
    const before = await state(player);
    expectTypename((await buy(app, game, player, game.items.crown!)).data.createPurchase, 'LimitReached');
    expectTypename((await buy(app, game, player, game.items.elixir!)).data.createPurchase, 'LimitReached');
    const twoCrowns = await buy(app, game, player, game.items.crown!, { quantity: 2, price: game.items.crown!.price });
    expectTypename(twoCrowns.data.createPurchase, 'LimitReached');
    expect(await state(player)).toEqual(before);

    // The potion's stock (3) runs out: the first test took one, two more are left.
    const other = await richPlayer();
    const two = await buy(app, game, other, game.items.potion!, { quantity: 2, price: game.items.potion!.price });
    expect(expectTypename(two.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    const beforeStock = await state(other);
    const none = await buy(app, game, other, game.items.potion!);
    expect(expectTypename(none.data.createPurchase, 'OutOfStock').available).toBe(0);
    expect(await state(other)).toEqual(beforeStock);
    const report = await checkMoneyInvariants(app.database.pool!, app.database.db, {
      gameId: decodeId(game.gameId),
    });
    expect(report.violations).toEqual([]);
  });

  it('answers the same purchase to the same idempotency key, spending once', async () => {
    const player = await richPlayer();
    const key = 'wallet-replay-key';
    const first = await buy(app, game, player, game.items.elixir!, { key });
    const again = await buy(app, game, player, game.items.elixir!, { key });
    const a = expectTypename(first.data.createPurchase, 'PurchasePayload').purchase;
    const b = expectTypename(again.data.createPurchase, 'PurchasePayload').purchase;
    expect(b.id).toBe(a.id);
    const wallet = await app.gql(walletDocument, { gameId: game.gameId }, { token: player.gameToken });
    expect(wallet.data.wallet).toEqual([{ amount: '95', currency: 'GEM' }]);
  });
});
