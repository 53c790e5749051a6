import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import { items, purchases, riskEvents } from '../../../src/db/schema/index.js';
import {
  isIdempotencyKeyViolation,
  PhaseOneError,
  runPhaseOne,
  runPhaseOneBatch,
  runPhaseOneStatement,
  type PhaseOneInput,
  type PhaseOneResult,
} from '../../../src/modules/purchases/phase-one.js';
import { isolatedDatabase } from '../../helpers/isolated-database.js';
import { makeGame, makeItem, makePlayer } from '../ledger/fixtures.js';
import { phaseOneOrder, type PhaseOneBuyer } from './phase-one-fixtures.js';

/**
 * Opportunistic group commit of phase 1 (purchase_phase_one_batch, drizzle/0020): card purchases that
 * queue while phase-1 calls are in flight go as one statement and one commit, each with its own
 * outcome. On both databases the app runs on: Postgres 15 (a pool: batches really run side by side)
 * and PGlite.
 */
const DATABASES = {
  // A database of its own: the fault trigger below must not touch other files' purchases.
  postgres: async () =>
    openDatabase({ url: await isolatedDatabase('phase1_batch'), dataDir: '.data/test', poolSize: 20 }),
  pglite: async () => openDatabase({ dataDir: '', inMemory: true }),
} as const;

describe.each(Object.keys(DATABASES) as (keyof typeof DATABASES)[])('group commit of phase 1 on %s', (database) => {
  let handle: DatabaseHandle;
  let db: DatabaseHandle['db'];
  let gameId: string;

  /** Several statements as one (simple query protocol on Postgres), as an operator would run them. */
  const exec = async (text: string) => {
    if (handle.pglite) await handle.pglite.exec(text);
    else await handle.pool!.query(text);
  };

  beforeAll(async () => {
    handle = await DATABASES[database]();
    await runMigrations(handle);
    db = handle.db;
    // A poisoned row: inserting a purchase of a listed item raises, as a bug or a broken row would; or
    // raises the unique violation of the idempotency key, as a writer that does not take the player's lock would cause.
    await exec(`
      create table phase_one_faults (item_id uuid primary key, fault text not null);
      create function inject_phase_one_fault() returns trigger language plpgsql as $$
      declare v_fault text;
      begin
        select fault into v_fault from phase_one_faults where item_id = new.item_id;
        if v_fault = 'unique' then
          raise unique_violation using message = 'injected duplicate key', constraint = 'purchases_idempotency_uq';
        elsif v_fault is not null then
          raise exception 'injected phase-one fault for purchase %', new.id;
        end if;
        return new;
      end $$;
      create trigger inject_phase_one_fault before insert on purchases for each row execute function inject_phase_one_fault();`);
    gameId = (await makeGame(db)).gameId;
  }, 120_000);

  afterAll(async () => {
    await handle?.close();
  });

  async function buyer(): Promise<PhaseOneBuyer> {
    return { gameId, playerId: await makePlayer(db), cardId: randomUUID() };
  }

  async function item(options: { stock?: number; fault?: 'raise' | 'unique' } = {}): Promise<string> {
    const id = await makeItem(db, gameId);
    if (options.stock !== undefined) await db.update(items).set({ stock: options.stock }).where(eq(items.id, id));
    if (options.fault) await exec(`insert into phase_one_faults values ('${id}', '${options.fault}')`);
    return id;
  }

  const stockOf = async (id: string) =>
    (await db.select({ stock: items.stock }).from(items).where(eq(items.id, id)))[0]!.stock;
  const purchaseIds = async (ids: readonly string[]) =>
    (
      await db
        .select({ id: purchases.id })
        .from(purchases)
        .where(inArray(purchases.id, [...ids]))
    ).map((r) => r.id);
  const riskEventCount = async (ids: readonly string[]) =>
    (
      await db
        .select({ id: riskEvents.id })
        .from(riskEvents)
        .where(inArray(riskEvents.purchaseId, [...ids]))
    ).length;

  /** What each call ended as: its outcome, or its error's SQLSTATE (or message). */
  const outcomeOf = (result: PhaseOneResult | Error) =>
    result instanceof Error ? `error ${(result as PhaseOneError).code ?? result.message}` : result.outcome;

  /** Phase 1's statements sent while `work` ran: alone (purchase_phase_one) or together (…_batch). */
  async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
    const sent: string[] = [];
    const note = (text: unknown) => {
      if (typeof text !== 'string') return;
      if (text.includes('purchase_phase_one_batch(')) sent.push('together');
      else if (text.includes('purchase_phase_one(')) sent.push('alone');
    };
    if (handle.pglite) {
      const pglite = handle.pglite;
      const query = pglite.query.bind(pglite);
      pglite.query = ((text: string, ...rest: unknown[]) => {
        note(text);
        return (query as (...a: unknown[]) => unknown)(text, ...rest);
      }) as typeof pglite.query;
      try {
        await work();
      } finally {
        delete (pglite as { query?: unknown }).query;
      }
      return sent;
    }
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      note(typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      await work();
    } finally {
      pg.Client.prototype.query = query;
    }
    return sent;
  }

  it('gives each purchase of one batch its own outcome: successes, refusals and poisoned rows apart', async () => {
    const [a, b, c, d, e, f] = await Promise.all([buyer(), buyer(), buyer(), buyer(), buyer(), buyer()]);
    const few = await item({ stock: 10 });
    const last = await item({ stock: 1 });
    const capped = await item();
    const skin = await item();
    const poisoned = await item({ fault: 'raise' });
    const clashing = await item({ fault: 'unique' });
    const cappedAt1 = { item: { kind: 'CONSUMABLE' as const, maxPerPlayer: 1 } };
    const durable = { item: { kind: 'DURABLE' as const, maxPerPlayer: null } };
    // Before the batch: the last unit sold, b's one capped unit, c's skin on its way, d's purchase of few.
    for (const input of [
      phaseOneOrder(a, last),
      phaseOneOrder(b, capped, {}, cappedAt1),
      phaseOneOrder(c, skin, {}, durable),
    ])
      expect((await runPhaseOneStatement(db, input)).outcome).toBe('created');
    const existing = (await runPhaseOneStatement(db, phaseOneOrder(d, few))).purchase!;
    const sameKey = randomUUID();

    const batch: PhaseOneInput[] = [
      phaseOneOrder(a, few),
      phaseOneOrder(e, last),
      phaseOneOrder(b, capped, {}, cappedAt1),
      phaseOneOrder(e, poisoned),
      phaseOneOrder(c, skin, {}, durable),
      phaseOneOrder(d, few, { idempotencyKey: existing.idempotencyKey }),
      phaseOneOrder(a, clashing),
      phaseOneOrder(e, few, { id: existing.id }),
      phaseOneOrder(a, few),
      phaseOneOrder(f, few, { idempotencyKey: sameKey }),
      phaseOneOrder(f, few, { idempotencyKey: sameKey }),
      phaseOneOrder(e, few, { riskDecision: 'BLOCK' }),
      phaseOneOrder(e, few, { unitPriceMinor: 1500, amountMinor: 1500 }),
    ];
    const results = await runPhaseOneBatch(db, batch);
    expect(results.map(outcomeOf)).toEqual([
      'created',
      'out_of_stock',
      'max_per_player',
      'error P0001',
      'already_owned',
      'duplicate',
      'error 23505',
      'error 23505',
      'created',
      'created',
      'duplicate',
      'created',
      'created',
    ]);
    const result = (i: number) => results[i] as PhaseOneResult;
    const error = (i: number) => results[i] as PhaseOneError;
    expect(result(1).detail).toBe(0);
    expect(result(2).detail).toBe(1);
    expect(error(3)).toBeInstanceOf(PhaseOneError);
    expect(error(3).message).toMatch(/injected phase-one fault/);
    expect(result(5).purchase).toEqual(existing);
    // the key's unique violation is recognised as such (createPurchase answers with the winner's purchase)
    expect(error(6).constraint).toBe('purchases_idempotency_uq');
    expect(isIdempotencyKeyViolation(error(6))).toBe(true);
    // another unique violation (the primary key) is not
    expect(error(7).constraint).toBe('purchases_pkey');
    expect(isIdempotencyKeyViolation(error(7))).toBe(false);
    // the same key twice in one batch: the second answers with the first's purchase
    expect(result(10).purchase).toEqual(result(9).purchase);
    expect(result(11).purchase).toMatchObject({ status: 'FAILED', declineCode: 'risk_blocked' });
    expect(result(12).purchase).toMatchObject({ status: 'REQUIRES_CONFIRMATION' });
    for (const i of [0, 8, 9]) expect(result(i).purchase).toMatchObject({ status: 'PROCESSING', path: 'one_tap' });

    // What was written: each created purchase with its risk event and its stock; nothing of the others.
    const created = [0, 8, 9, 11, 12].map((i) => batch[i]!.purchase.id);
    const refused = [1, 2, 3, 4, 6, 10].map((i) => batch[i]!.purchase.id);
    expect((await purchaseIds(created)).sort()).toEqual([...created].sort());
    expect(await riskEventCount(created)).toBe(created.length);
    expect(await purchaseIds(refused)).toEqual([]);
    expect(await riskEventCount(refused)).toBe(0);
    expect(await riskEventCount([existing.id])).toBe(1);
    // few: d's before, then 0, 8, 9 and 12 (the blocked one takes none)
    expect(await stockOf(few)).toBe(10 - 1 - 4);
    expect(await stockOf(last)).toBe(0);
  });

  it('sends a lone purchase alone at once, and those that arrive while four are in flight as one batch', async () => {
    const few = await item({ stock: 100 });
    const buyers = await Promise.all(Array.from({ length: 10 }, () => buyer()));

    const lone = phaseOneOrder(buyers[0]!, few);
    let alone: PhaseOneResult | undefined;
    expect(
      await statementsDuring(async () => {
        alone = await runPhaseOne(db, lone);
      }),
    ).toEqual(['alone']);
    expect(alone!.purchase).toMatchObject({ id: lone.purchase.id, status: 'PROCESSING' });

    // Ten at once: four take the four slots, the six others wait for the first free one and go together.
    const inputs = buyers.map((who) => phaseOneOrder(who, few));
    let results: PhaseOneResult[] = [];
    const sent = await statementsDuring(async () => {
      results = await Promise.all(inputs.map((input) => runPhaseOne(db, input)));
    });
    expect(sent).toEqual(['alone', 'alone', 'alone', 'alone', 'together']);
    expect(results.map((r) => [r.outcome, r.purchase?.id])).toEqual(
      inputs.map((input) => ['created', input.purchase.id]),
    );
    expect(await stockOf(few)).toBe(100 - 11);
  });

  it('keeps each limit per purchase with many players at once, the same player twice in a batch', async () => {
    const cappedAt1 = { item: { kind: 'CONSUMABLE' as const, maxPerPlayer: 1 } };
    const capped = await item({ stock: 30 });
    const scarce = await item({ stock: 5 });
    const unlimited = await item();
    const buyers: PhaseOneBuyer[] = [];
    for (let i = 0; i < 24; i++) buyers.push(await buyer());

    // Each player: two of the capped item (one may be bought), one of five scarce units, one unlimited.
    const inputs = [
      ...buyers.map((who) => phaseOneOrder(who, capped, {}, cappedAt1)),
      ...buyers.map((who) => phaseOneOrder(who, scarce)),
      ...buyers.map((who) => phaseOneOrder(who, capped, {}, cappedAt1)),
      ...buyers.map((who) => phaseOneOrder(who, unlimited)),
    ];
    let results: PhaseOneResult[] = [];
    const sent = await statementsDuring(async () => {
      results = await Promise.all(inputs.map((input) => runPhaseOne(db, input)));
    });
    expect(sent.filter((s) => s === 'together').length).toBeGreaterThan(0);
    const byPlayer = (itemId: string) =>
      buyers.map((who) =>
        inputs
          .map((input, i) => ({ input, result: results[i]! }))
          .filter(({ input }) => input.purchase.playerId === who.playerId && input.purchase.itemId === itemId)
          .map(({ result }) => result.outcome)
          .sort(),
      );
    expect(byPlayer(capped)).toEqual(buyers.map(() => ['created', 'max_per_player']));
    expect(byPlayer(unlimited)).toEqual(buyers.map(() => ['created']));
    const scarceOutcomes = byPlayer(scarce).flat();
    expect(scarceOutcomes.filter((o) => o === 'created')).toHaveLength(5);
    expect(scarceOutcomes.filter((o) => o === 'out_of_stock')).toHaveLength(19);
    expect(await stockOf(capped)).toBe(30 - 24);
    expect(await stockOf(scarce)).toBe(0);
    expect(await stockOf(unlimited)).toBeNull();

    // The same player twice in one batch: the second sees the first (a durable, a cap, the daily one-tap cap).
    const who = await buyer();
    const skin = await item();
    const durable = { item: { kind: 'DURABLE' as const, maxPerPlayer: null } };
    const cap = { allowance: { oneTapMax: { amountMinor: 3000, currency: 'USD' }, dailyCap: { amountMinor: 5000 } } };
    const twice = await runPhaseOneBatch(db, [
      phaseOneOrder(who, skin, {}, durable),
      phaseOneOrder(who, capped, {}, cappedAt1),
      phaseOneOrder(who, unlimited, { unitPriceMinor: 3000, amountMinor: 3000 }, cap),
      phaseOneOrder(who, skin, {}, durable),
      phaseOneOrder(who, capped, {}, cappedAt1),
      phaseOneOrder(who, unlimited, { unitPriceMinor: 3000, amountMinor: 3000, confirmationReason: 'daily_cap' }, cap),
    ]);
    expect(twice.map(outcomeOf)).toEqual([
      'created',
      'created',
      'created',
      'already_owned',
      'max_per_player',
      'created',
    ]);
    expect((twice[2] as PhaseOneResult).purchase?.status).toBe('PROCESSING');
    expect((twice[5] as PhaseOneResult).purchase).toMatchObject({
      status: 'REQUIRES_CONFIRMATION',
      actionReason: 'daily_cap',
    });
  });

  it('never deadlocks: batches and single calls sharing players and items in opposite orders', async () => {
    const shared = await Promise.all(Array.from({ length: 4 }, () => item({ stock: 10_000 })));
    const players: PhaseOneBuyer[] = [];
    for (let i = 0; i < 8; i++) players.push(await buyer());
    const before = await Promise.all(shared.map(stockOf));
    let calls = 0;
    for (let round = 0; round < 4; round++) {
      // Six batches at once, each over every item, half of them in the opposite order, and its players
      // in an order of its own; beside them, single calls over the same players and items.
      const batches = Array.from({ length: 6 }, (_, k) =>
        Array.from({ length: 8 }, (_, j) => {
          const who = players[(k * 3 + j * (k % 2 === 0 ? 1 : 7)) % 8]!;
          const itemId = shared[k % 2 === 0 ? j % 4 : 3 - (j % 4)]!;
          return phaseOneOrder(who, itemId);
        }),
      );
      const singles = Array.from({ length: 4 }, (_, j) => phaseOneOrder(players[7 - j]!, shared[j]!));
      const results = await Promise.all([
        ...batches.map((batch) => runPhaseOneBatch(db, batch)),
        ...singles.map(async (input) => [await runPhaseOneStatement(db, input)]),
      ]);
      const outcomes = results.flat().map(outcomeOf);
      expect(outcomes).toEqual(Array(6 * 8 + 4).fill('created'));
      calls += outcomes.length;
    }
    const after = await Promise.all(shared.map(stockOf));
    expect(before.reduce((s, n) => s! + n!, 0)! - after.reduce((s, n) => s! + n!, 0)!).toBe(calls);
  }, 60_000);
});
