import { and, asc, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import {
  games,
  inventoryEntries,
  ledgerAccounts,
  ledgerTransactions,
  outboxEvents,
  purchases,
  type ItemKind,
} from '../../../src/db/schema/index.js';
import { accountBalance } from '../../../src/modules/ledger/accounts.js';
import { checkLedger, saleFee } from '../../../src/modules/ledger/index.js';
import type { SettleGrant } from '../../../src/modules/purchases/fulfil.js';
import {
  SettleError,
  settlePurchaseBatch,
  settlePurchaseStatement,
  type SettleInput,
} from '../../../src/modules/purchases/settle-statement.js';
import { enqueueEvent, outboxBatch, type EnqueueEventInput } from '../../../src/modules/webhooks/index.js';
import { newId } from '../../../src/shared/ids.js';
import { makeGame, makeItem, makePlayer, openTestDatabase } from '../ledger/fixtures.js';

// settle_purchase (drizzle/0016) called directly: phase 3 of a purchase as one statement, on both
// databases Coinslot runs on.
describe.each(['postgres', 'pglite'] as const)('settle_purchase on %s', (kind) => {
  let handle: DatabaseHandle;
  let db: DatabaseHandle['db'];
  beforeAll(async () => {
    handle = kind === 'postgres' ? await openTestDatabase() : await openDatabase({ dataDir: '', inMemory: true });
    if (kind === 'pglite') await runMigrations(handle);
    db = handle.db;
  }, 120_000);
  afterAll(() => handle?.close());

  async function processingPurchase(options: {
    kind?: ItemKind;
    path?: 'one_tap' | 'wallet';
    amountMinor?: number;
    feeBps?: number;
    quantity?: number;
    webhookUrl?: string;
  }) {
    const { gameId } = await makeGame(db, { feeBps: options.feeBps ?? 3000 });
    if (options.webhookUrl) await db.update(games).set({ webhookUrl: options.webhookUrl }).where(eq(games.id, gameId));
    const playerId = await makePlayer(db);
    const itemId = await makeItem(db, gameId, options.kind ?? 'CONSUMABLE');
    const amountMinor = options.amountMinor ?? 99;
    const wallet = options.path === 'wallet';
    const [row] = await db
      .insert(purchases)
      .values({
        id: newId(),
        gameId,
        playerId,
        recipientId: playerId,
        itemId,
        quantity: options.quantity ?? 1,
        unitPriceMinor: amountMinor,
        amountMinor,
        currency: wallet ? 'GEM' : 'USD',
        feeBps: options.feeBps ?? 3000,
        idempotencyKey: newId(),
        status: 'PROCESSING',
        path: options.path ?? 'one_tap',
        processingAt: new Date(),
      })
      .returning();
    return row!;
  }

  type Purchase = Awaited<ReturnType<typeof processingPurchase>>;

  function settleInput(
    purchase: Purchase,
    grant: SettleGrant,
    extra: { saleAccounts?: readonly string[] | null; events?: EnqueueEventInput[] } = {},
  ): SettleInput {
    const events = extra.events ?? [
      {
        gameId: purchase.gameId,
        type: 'purchase.succeeded',
        aggregateId: purchase.id,
        data: { id: purchase.id, status: 'SUCCEEDED', updatedAt: null },
      },
      { gameId: purchase.gameId, type: 'item.granted', aggregateId: purchase.id, data: { sku: 'x' } },
    ];
    return {
      purchaseId: purchase.id,
      acquirerChargeId: purchase.path === 'wallet' ? null : `ch_${purchase.id}`,
      succeededAt: new Date(),
      receipt: `receipt-${purchase.id}`,
      feeMinor: purchase.path === 'wallet' ? null : saleFee(purchase.amountMinor, purchase.feeBps).fee,
      saleAccounts: extra.saleAccounts ?? null,
      grant,
      eventsJson: outboxBatch(events).json,
    };
  }

  const item = (units = 1, durable = false): SettleGrant => ({ kind: 'item', units, durable });

  async function sharedBalances(gameId: string) {
    const rows = await db
      .select({ kind: ledgerAccounts.kind, balance: accountBalance })
      .from(ledgerAccounts)
      .where(and(eq(ledgerAccounts.gameId, gameId), isNull(ledgerAccounts.playerId)));
    return Object.fromEntries(rows.map((r) => [r.kind, r.balance]));
  }

  async function eventsOf(purchaseId: string) {
    return db
      .select({
        type: outboxEvents.type,
        sequence: outboxEvents.sequence,
        status: outboxEvents.status,
        payload: outboxEvents.payload,
      })
      .from(outboxEvents)
      .where(eq(outboxEvents.aggregateId, purchaseId))
      .orderBy(asc(outboxEvents.sequence));
  }

  async function inventoryOf(purchase: Purchase) {
    const [row] = await db
      .select({ quantity: inventoryEntries.quantity })
      .from(inventoryEntries)
      .where(and(eq(inventoryEntries.playerId, purchase.recipientId), eq(inventoryEntries.itemId, purchase.itemId)));
    return row?.quantity ?? 0;
  }

  it('marks a card sale SUCCEEDED, posts it balanced, grants the item and enqueues its events in order', async () => {
    const purchase = await processingPurchase({
      amountMinor: 1000,
      feeBps: 3000,
      quantity: 3,
      webhookUrl: 'https://game.example/hook',
    });
    const input = settleInput(purchase, item(3));
    const done = await settlePurchaseStatement(db, input);
    expect(done).toMatchObject({ settled: true, row: { id: purchase.id, status: 'SUCCEEDED', feeMinor: 300 } });
    expect(done!.row).toMatchObject({
      acquirerChargeId: `ch_${purchase.id}`,
      receipt: input.receipt,
      succeededAt: input.succeededAt,
      expiresAt: null,
      recoveryLeaseUntil: null,
      amountMinor: 1000,
    });
    expect(done!.row.updatedAt).toBeInstanceOf(Date);
    expect(done!.saleAccounts).toHaveLength(3);

    expect(await sharedBalances(purchase.gameId)).toEqual({
      acquirer_receivable: 1000,
      game_payable: -700,
      platform_revenue: -300,
    });
    expect(await checkLedger(db, { purchaseId: purchase.id })).toEqual([]);
    expect(await inventoryOf(purchase)).toBe(3);

    const events = await eventsOf(purchase.id);
    expect(events.map((e) => [e.type, e.sequence, e.status])).toEqual([
      ['purchase.succeeded', 1, 'pending'],
      ['item.granted', 2, 'pending'],
    ]);
    // The purchase's own event carries the row's updatedAt, which only the statement knows.
    expect(events[0]!.payload.updatedAt).toBe(done!.row.updatedAt.toISOString());
    expect(done!.events.map((e) => [e.sequence, e.status])).toEqual(
      expect.arrayContaining([
        [1, 'pending'],
        [2, 'pending'],
      ]),
    );
  });

  it('writes nothing for a purchase that is no longer PROCESSING, and answers it as it stands', async () => {
    const purchase = await processingPurchase({});
    const first = await settlePurchaseStatement(db, settleInput(purchase, item()));
    expect(first!.settled).toBe(true);
    const again = await settlePurchaseStatement(db, {
      ...settleInput(purchase, item()),
      acquirerChargeId: 'ch_other',
      receipt: 'another receipt',
    });
    expect(again).toMatchObject({ settled: false, saleAccounts: null, events: [] });
    expect(again!.row).toEqual(first!.row);
    const sales = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.purchaseId, purchase.id));
    expect(sales).toHaveLength(1);
    expect(await inventoryOf(purchase)).toBe(1);
    expect(await eventsOf(purchase.id)).toHaveLength(2);
    expect(await sharedBalances(purchase.gameId)).toEqual({
      acquirer_receivable: 99,
      game_payable: -69,
      platform_revenue: -30,
    });

    // A failed purchase is not settled either.
    const failed = await processingPurchase({});
    await db.update(purchases).set({ status: 'FAILED' }).where(eq(purchases.id, failed.id));
    const refused = await settlePurchaseStatement(db, settleInput(failed, item()));
    expect(refused).toMatchObject({ settled: false, row: { status: 'FAILED', receipt: null } });
    expect(await inventoryOf(failed)).toBe(0);
    expect(await settlePurchaseStatement(db, { ...settleInput(failed, item()), purchaseId: newId() })).toBeNull();
  });

  it('settles one of two racing calls for the same purchase', async () => {
    const purchase = await processingPurchase({});
    const results = await Promise.all([
      settlePurchaseStatement(db, settleInput(purchase, item())),
      settlePurchaseStatement(db, settleInput(purchase, item())),
    ]);
    expect(results.map((r) => r!.settled).sort()).toEqual([false, true]);
    expect(await inventoryOf(purchase)).toBe(1);
    expect(await eventsOf(purchase.id)).toHaveLength(2);
    expect(await checkLedger(db, { gameId: purchase.gameId })).toEqual([]);
  });

  it('posts to the accounts it is given (kept by the caller) and they keep balancing', async () => {
    const first = await processingPurchase({ amountMinor: 500, feeBps: 1000 });
    const done = await settlePurchaseStatement(db, settleInput(first, item()));
    const accounts = done!.saleAccounts!;
    // A second sale of the same game and currency with the accounts at hand: no lookup, same accounts.
    const [row] = await db
      .insert(purchases)
      .values({ ...first, id: newId(), idempotencyKey: newId(), status: 'PROCESSING' })
      .returning();
    const second = await settlePurchaseStatement(db, settleInput(row!, item(), { saleAccounts: accounts }));
    expect(second!.saleAccounts).toEqual(accounts);
    expect(await sharedBalances(first.gameId)).toEqual({
      acquirer_receivable: 1000,
      game_payable: -900,
      platform_revenue: -100,
    });
    expect(await checkLedger(db, { gameId: first.gameId })).toEqual([]);
  });

  it('credits a currency pack to the wallet, and posts no sale for a wallet-paid purchase', async () => {
    const pack = await processingPurchase({ kind: 'CURRENCY_PACK', quantity: 2 });
    await settlePurchaseStatement(db, settleInput(pack, { kind: 'wallet', currency: 'GEM', amountMinor: 200 }));
    const [wallet] = await db
      .select({ balance: ledgerAccounts.balanceMinor })
      .from(ledgerAccounts)
      .where(and(eq(ledgerAccounts.playerId, pack.recipientId), eq(ledgerAccounts.kind, 'player_wallet')));
    expect(wallet!.balance).toBe(200);
    expect(await inventoryOf(pack)).toBe(0);
    const kinds = await db
      .select({ kind: ledgerTransactions.kind })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.purchaseId, pack.id))
      .orderBy(asc(ledgerTransactions.kind));
    expect(kinds.map((k) => k.kind)).toEqual(['sale', 'wallet_credit']);
    expect(await sharedBalances(pack.gameId)).toMatchObject({ currency_issued: -200, acquirer_receivable: 99 });
    expect(await checkLedger(db, { gameId: pack.gameId })).toEqual([]);

    // Paid from the wallet (phase 1 spent it): no sale, fee 0; a DURABLE is owned once.
    const walletPaid = await processingPurchase({ kind: 'DURABLE', path: 'wallet', quantity: 1 });
    const done = await settlePurchaseStatement(db, settleInput(walletPaid, item(1, true)));
    expect(done).toMatchObject({ settled: true, saleAccounts: null, row: { feeMinor: 0, acquirerChargeId: null } });
    expect(await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.purchaseId, walletPaid.id))).toEqual(
      [],
    );
    expect(await inventoryOf(walletPaid)).toBe(1);
  });

  it('numbers the events after those the purchase already has, kept no_endpoint without a webhook URL', async () => {
    const purchase = await processingPurchase({});
    await enqueueEvent(db, {
      gameId: purchase.gameId,
      type: 'purchase.failed',
      aggregateId: purchase.id,
      data: { earlier: true },
    });
    await settlePurchaseStatement(db, settleInput(purchase, item()));
    expect((await eventsOf(purchase.id)).map((e) => [e.type, e.sequence, e.status])).toEqual([
      ['purchase.failed', 1, 'no_endpoint'],
      ['purchase.succeeded', 2, 'no_endpoint'],
      ['item.granted', 3, 'no_endpoint'],
    ]);
  });

  it('writes nothing at all when a part fails (a currency the game does not have)', async () => {
    const pack = await processingPurchase({ kind: 'CURRENCY_PACK' });
    await expect(
      settlePurchaseStatement(db, settleInput(pack, { kind: 'wallet', currency: 'NOPE', amountMinor: 100 })),
    ).rejects.toThrow();
    const [row] = await db.select().from(purchases).where(eq(purchases.id, pack.id));
    expect(row).toMatchObject({ status: 'PROCESSING', receipt: null, feeMinor: null });
    expect(await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.purchaseId, pack.id))).toEqual([]);
    expect(await eventsOf(pack.id)).toEqual([]);
    expect(await sharedBalances(pack.gameId)).toEqual({});
  });

  it('settles a batch (settle_purchases) with an outcome for each, a failing one rolled back alone', async () => {
    const good = await processingPurchase({});
    const settledBefore = await processingPurchase({});
    await settlePurchaseStatement(db, settleInput(settledBefore, item()));
    const badPack = await processingPurchase({ kind: 'CURRENCY_PACK' });
    const outcomes = await settlePurchaseBatch(db, [
      settleInput(badPack, { kind: 'wallet', currency: 'NOPE', amountMinor: 100 }),
      settleInput(good, item(2)),
      settleInput(settledBefore, item()),
    ]);
    expect(outcomes[0]).toBeInstanceOf(SettleError);
    expect(outcomes[1]).toMatchObject({ settled: true, row: { id: good.id, status: 'SUCCEEDED' } });
    expect(outcomes[2]).toMatchObject({ settled: false, row: { id: settledBefore.id, status: 'SUCCEEDED' } });
    expect(await inventoryOf(good)).toBe(2);
    expect(await inventoryOf(settledBefore)).toBe(1);
    const [bad] = await db.select().from(purchases).where(eq(purchases.id, badPack.id));
    expect(bad!.status).toBe('PROCESSING');
    expect(await eventsOf(badPack.id)).toEqual([]);
    expect(await checkLedger(db, { gameId: good.gameId })).toEqual([]);
    expect(await checkLedger(db, { gameId: badPack.gameId })).toEqual([]);
  });
});
