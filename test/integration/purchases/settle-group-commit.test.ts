import { and, asc, eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import {
  inventoryEntries,
  ledgerTransactions,
  outboxEvents,
  purchases,
  type ItemKind,
} from '../../../src/db/schema/index.js';
import { checkLedger, saleFee } from '../../../src/modules/ledger/index.js';
import type { SettleGrant } from '../../../src/modules/purchases/fulfil.js';
import {
  settlePurchase,
  settlePurchaseBatch,
  SettleError,
  type SettleInput,
} from '../../../src/modules/purchases/settle-statement.js';
import { outboxBatch } from '../../../src/modules/webhooks/index.js';
import { newId } from '../../../src/shared/ids.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';
import { waitFor } from '../../helpers/processes.js';
import { makeGame, makeItem, makePlayer } from '../ledger/fixtures.js';

// Opportunistic group commit of phase 3 (settle_purchases, drizzle/0018): successes that queue while
// settlements are in flight go as one statement and one commit, each with its own outcome.
describe('group commit of settlements', () => {
  let url: string;
  let handle: DatabaseHandle;
  let db: DatabaseHandle['db'];
  let admin: pg.Client;
  beforeAll(async () => {
    // A database of its own: the fault trigger below must not touch other files' purchases.
    url = await isolatedDatabase('settle_batch');
    handle = await openDatabase({ url, dataDir: '.data/test', poolSize: 10 });
    await runMigrations(handle);
    db = handle.db;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // A poisoned row: marking a purchase of a listed item SUCCEEDED raises, as a bug or a broken row would.
    await admin.query(`
      create table settle_faults (item_id uuid primary key);
      create function inject_settle_fault() returns trigger language plpgsql as $$
      begin
        if new.status = 'SUCCEEDED' and exists (select 1 from settle_faults f where f.item_id = new.item_id) then
          raise exception 'injected settlement fault for purchase %', new.id;
        end if;
        return new;
      end $$;
      create trigger inject_settle_fault before update on purchases for each row execute function inject_settle_fault();`);
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await handle?.close();
  });

  async function processingPurchase(options: { kind?: ItemKind; gameId?: string; itemId?: string } = {}) {
    const gameId = options.gameId ?? (await makeGame(db)).gameId;
    const playerId = await makePlayer(db);
    const itemId = options.itemId ?? (await makeItem(db, gameId, options.kind ?? 'CONSUMABLE'));
    const [row] = await db
      .insert(purchases)
      .values({
        id: newId(),
        gameId,
        playerId,
        recipientId: playerId,
        itemId,
        quantity: 1,
        unitPriceMinor: 99,
        amountMinor: 99,
        currency: 'USD',
        feeBps: 3000,
        idempotencyKey: newId(),
        status: 'PROCESSING',
        path: 'one_tap',
        processingAt: new Date(),
      })
      .returning();
    return row!;
  }
  type Purchase = Awaited<ReturnType<typeof processingPurchase>>;

  const item: SettleGrant = { kind: 'item', units: 1, durable: false };
  function settleInput(purchase: Purchase, grant: SettleGrant = item): SettleInput {
    return {
      purchaseId: purchase.id,
      acquirerChargeId: `ch_${purchase.id}`,
      succeededAt: new Date(),
      receipt: `receipt-${purchase.id}`,
      feeMinor: saleFee(purchase.amountMinor, purchase.feeBps).fee,
      saleAccounts: null,
      grant,
      eventsJson: outboxBatch([
        { gameId: purchase.gameId, type: 'purchase.succeeded', aggregateId: purchase.id, data: { id: purchase.id } },
        { gameId: purchase.gameId, type: 'item.granted', aggregateId: purchase.id, data: { sku: 'x' } },
      ]).json,
    };
  }

  const statusOf = async (id: string) =>
    (await db.select({ status: purchases.status }).from(purchases).where(eq(purchases.id, id)))[0]?.status;
  const written = async (purchase: Purchase) => ({
    postings: (await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.purchaseId, purchase.id))).length,
    events: (await db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, purchase.id))).length,
    units:
      (
        await db
          .select({ quantity: inventoryEntries.quantity })
          .from(inventoryEntries)
          .where(and(eq(inventoryEntries.playerId, purchase.recipientId), eq(inventoryEntries.itemId, purchase.itemId)))
      )[0]?.quantity ?? 0,
  });

  it('gives each purchase of one batch its own outcome: successes commit, a poisoned row fails alone', async () => {
    const { gameId } = await makeGame(db);
    const good = [
      await processingPurchase({ gameId }),
      await processingPurchase({ gameId }),
      await processingPurchase(),
    ];
    const done = await processingPurchase({ gameId });
    await settlePurchaseBatch(db, [settleInput(done)]);
    const poisoned = await processingPurchase({ gameId });
    await admin.query('insert into settle_faults values ($1)', [poisoned.itemId]);
    const noCurrency = await processingPurchase({ gameId, kind: 'CURRENCY_PACK' });
    const missing = { ...good[0]!, id: newId() };

    const outcomes = await settlePurchaseBatch(db, [
      settleInput(good[0]!),
      settleInput(poisoned),
      settleInput(done),
      settleInput(good[1]!),
      settleInput(noCurrency, { kind: 'wallet', currency: 'NOPE', amountMinor: 100 }),
      settleInput(missing),
      settleInput(good[2]!),
    ]);
    expect(outcomes.map((o) => (o instanceof Error ? 'error' : o === null ? 'missing' : o.settled))).toEqual([
      true,
      'error',
      false,
      true,
      'error',
      'missing',
      true,
    ]);
    expect(outcomes[1]).toBeInstanceOf(SettleError);
    expect((outcomes[1] as Error).message).toMatch(/injected settlement fault/);
    expect((outcomes[4] as Error).message).toMatch(/has no currency NOPE/);

    for (const purchase of good) {
      expect(await statusOf(purchase.id)).toBe('SUCCEEDED');
      expect(await written(purchase)).toEqual({ postings: 1, events: 2, units: 1 });
    }
    expect(await written(done)).toEqual({ postings: 1, events: 2, units: 1 });
    for (const failed of [poisoned, noCurrency]) {
      expect(await statusOf(failed.id)).toBe('PROCESSING');
      expect(await written(failed)).toEqual({ postings: 0, events: 0, units: 0 });
    }
    expect(await checkLedger(db, { gameId })).toEqual([]);
    expect(await checkLedger(db, { gameId: good[2]!.gameId })).toEqual([]);
  });

  it('sends a lone success at once, and those that arrive while settlements wait as one batch', async () => {
    const { gameId } = await makeGame(db);
    // Alone: its own statement, at once.
    const alone = await processingPurchase({ gameId });
    const lone = await settlePurchase(db, settleInput(alone));
    expect(lone!.settled).toBe(true);

    // Four settlements wait on rows another transaction holds (every slot busy); the next ones queue.
    const blocked = await Promise.all([1, 2, 3, 4].map(() => processingPurchase({ gameId })));
    const queued = await Promise.all([1, 2, 3, 4, 5, 6].map(() => processingPurchase({ gameId })));
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select 1 from purchases where id = any($1::uuid[]) for update', [blocked.map((p) => p.id)]);
    const statements: string[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const name = (args[0] as { name?: string }).name;
      if (name?.startsWith('purchases_settle')) statements.push(name);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      const first = blocked.map((p) => settlePurchase(db, settleInput(p)));
      await waitFor(
        async () =>
          Number(
            (
              await admin.query(
                `select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
              )
            ).rows[0].count,
          ) >= 4,
        10_000,
        'four settlements waiting on the held rows',
      );
      const later = queued.map((p) => settlePurchase(db, settleInput(p)));
      await holder.query('commit');
      const results = await Promise.all([...first, ...later]);
      expect(results.map((r) => r!.settled)).toEqual(Array(10).fill(true));
    } finally {
      pg.Client.prototype.query = query;
      await holder.end();
    }
    // Four alone, then the six that queued in one statement and one commit.
    expect(statements).toEqual([...Array(4).fill('purchases_settle'), 'purchases_settle_many']);
    for (const purchase of [...blocked, ...queued])
      expect(await written(purchase)).toEqual({ postings: 1, events: 2, units: 1 });
    expect(await checkLedger(db, { gameId })).toEqual([]);
    const events = await db
      .select({ aggregateId: outboxEvents.aggregateId, sequence: outboxEvents.sequence, type: outboxEvents.type })
      .from(outboxEvents)
      .where(eq(outboxEvents.gameId, gameId))
      .orderBy(asc(outboxEvents.aggregateId), asc(outboxEvents.sequence));
    for (const purchase of queued)
      expect(events.filter((e) => e.aggregateId === purchase.id).map((e) => [e.sequence, e.type])).toEqual([
        [1, 'purchase.succeeded'],
        [2, 'item.granted'],
      ]);
  });
});
