import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startServer } from '../../../src/composition/index.js';
import { items, purchases, riskEvents } from '../../../src/db/schema/index.js';
import { runPhaseOne, type PhaseOneInput } from '../../../src/modules/purchases/phase-one.js';
import { AWAITING_STATUSES, COUNTED_STATUSES } from '../../../src/modules/purchases/purchase-state.js';
import { decodeId, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { asTestApp, createTestApp, testEnv, type TestApp } from '../../helpers/test-app.js';
import { phaseOneOrder } from './phase-one-fixtures.js';

/**
 * purchase_phase_one (drizzle/0017_purchase_phase_one.sql), called directly on both databases the
 * app runs on: Postgres 15 (the pool, so concurrent calls are concurrent) and PGlite.
 */
// No recovery loop: the purchases made here stay PROCESSING (phase 1 only, never charged), and recovery
// would fail them after RECOVERY_THRESHOLD and put their units back on stock in the middle of a test.
const NO_JOBS = { BACKGROUND_JOBS: 'false' };
const DATABASES = {
  postgres: () => createTestApp({ env: NO_JOBS }),
  pglite: async () => {
    const env = {
      ...testEnv({ ...NO_JOBS, DATA_DIR: mkdtempSync(join(tmpdir(), 'coinslot-phase-one-')) }),
    } as Record<string, string | undefined>;
    delete env.DATABASE_URL;
    const server = await startServer(loadConfig(env as NodeJS.ProcessEnv), { listen: false });
    expect(server.database.kind).toBe('pglite');
    return asTestApp(server);
  },
} as const;

describe.each(Object.keys(DATABASES) as (keyof typeof DATABASES)[])('purchase_phase_one on %s', (database) => {
  let app: TestApp;
  let game: GameSetup;

  beforeAll(async () => {
    app = await DATABASES[database]();
    game = await setUpGame(app, [
      { sku: 'life', kind: 'CONSUMABLE', price: '99' },
      { sku: 'last', kind: 'CONSUMABLE', price: '99', stock: 1 },
      // The concurrent buyers' own item: no earlier purchase of it can give a unit back meanwhile.
      { sku: 'contested', kind: 'CONSUMABLE', price: '99', stock: 1 },
      { sku: 'few', kind: 'CONSUMABLE', price: '99', stock: 5 },
      { sku: 'skin', kind: 'DURABLE', price: '499' },
      { sku: 'capped', kind: 'CONSUMABLE', price: '99', maxPerPlayer: 2 },
    ]);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  /** A buyer with a default card who allowed one tap up to 1000 a purchase and 5000 a day. */
  async function buyer() {
    const player = await setUpPlayer(app, game);
    return { playerId: decodeId(player.playerId), cardId: decodeId(player.cardId!) };
  }

  function order(
    who: { playerId: string; cardId: string },
    sku: string,
    changes: Partial<PhaseOneInput['purchase']> = {},
    rest: Partial<Omit<PhaseOneInput, 'purchase'>> = {},
  ): PhaseOneInput {
    const buyer = { ...who, gameId: decodeId(game.gameId) };
    return phaseOneOrder(buyer, decodeId(game.items[sku]!.id), changes, rest);
  }

  const stockOf = async (sku: string) =>
    (
      await app.deps.db
        .select({ stock: items.stock })
        .from(items)
        .where(eq(items.id, decodeId(game.items[sku]!.id)))
    )[0]!.stock;
  const purchaseRow = async (id: string) =>
    (await app.deps.db.select().from(purchases).where(eq(purchases.id, id)))[0] ?? null;
  const riskEventsOf = (id: string) => app.deps.db.select().from(riskEvents).where(eq(riskEvents.purchaseId, id));

  it('creates a one-tap purchase PROCESSING with its risk event, taking stock, in one call', async () => {
    const input = order(await buyer(), 'few');
    const before = await stockOf('few');
    const result = await runPhaseOne(app.deps.db, input);
    expect(result.outcome).toBe('created');
    expect(result.purchase).toMatchObject({
      id: input.purchase.id,
      status: 'PROCESSING',
      path: 'one_tap',
      cardId: input.purchase.cardId,
      processingAt: input.now,
      createdAt: input.now,
      expiresAt: null,
      stockHoldUntil: null,
      actionReason: null,
      riskDecision: 'ALLOW',
      riskScore: 10,
      amountMinor: 99,
    });
    expect(await purchaseRow(input.purchase.id)).toEqual(result.purchase);
    expect(await stockOf('few')).toBe(before! - 1);
    // the units it left (drizzle/0024): createPurchase answers with them, without reading the item again
    expect(result.detail).toBe(before! - 1);
    const unlimited = await runPhaseOne(app.deps.db, order(await buyer(), 'life'));
    expect(unlimited).toMatchObject({ outcome: 'created', detail: null });
    const events = await riskEventsOf(input.purchase.id);
    expect(events).toMatchObject([{ decision: 'ALLOW', score: 10, kind: 'purchase', cardFingerprint: 'fp-test' }]);
  });

  it('answers out_of_stock with the units left and writes nothing', async () => {
    const who = await buyer();
    const first = await runPhaseOne(app.deps.db, order(who, 'last'));
    expect(first.outcome).toBe('created');
    const input = order(who, 'last');
    const second = await runPhaseOne(app.deps.db, input);
    expect(second).toEqual({ outcome: 'out_of_stock', detail: 0, purchase: null });
    expect(await stockOf('last')).toBe(0);
    expect(await purchaseRow(input.purchase.id)).toBeNull();
    expect(await riskEventsOf(input.purchase.id)).toEqual([]);
  });

  it('outside the one-tap allowance: waits for confirmation with its reason, and takes stock for it', async () => {
    const who = await buyer();
    // above the one-tap maximum
    const above = order(who, 'few', { unitPriceMinor: 1500, amountMinor: 1500 });
    const waiting = await runPhaseOne(app.deps.db, above);
    expect(waiting.outcome).toBe('created');
    expect(waiting.purchase).toMatchObject({
      status: 'REQUIRES_CONFIRMATION',
      path: 'confirmation',
      actionReason: 'one_tap_max',
      expiresAt: above.purchase.expiresAt,
      stockHoldUntil: above.purchase.stockHoldUntil,
      processingAt: null,
    });
    // today's one-tap total counts: 4,950 spent, 99 more would pass the 5,000 cap
    const cap = { oneTapMax: { amountMinor: 5000, currency: 'USD' }, dailyCap: { amountMinor: 5000 } };
    const spent = await runPhaseOne(
      app.deps.db,
      order(who, 'life', { unitPriceMinor: 4950, amountMinor: 4950 }, { allowance: cap }),
    );
    expect(spent.purchase?.status).toBe('PROCESSING');
    const beyond = await runPhaseOne(
      app.deps.db,
      order(who, 'life', { confirmationReason: 'daily_cap' }, { allowance: cap }),
    );
    expect(beyond.purchase).toMatchObject({ status: 'REQUIRES_CONFIRMATION', actionReason: 'daily_cap' });
    // another currency than the allowance's is never one tap
    const euros = await runPhaseOne(
      app.deps.db,
      order(who, 'life', { currency: 'EUR', confirmationReason: 'currency' }),
    );
    expect(euros.purchase).toMatchObject({ status: 'REQUIRES_CONFIRMATION', actionReason: 'currency' });
  });

  it('refuses a purchase that would wait beyond the cap of unconfirmed purchases, writing nothing', async () => {
    const who = await buyer();
    const over = { unitPriceMinor: 1500, amountMinor: 1500 };
    const first = await runPhaseOne(app.deps.db, order(who, 'life', over, { maxUnconfirmed: 1 }));
    expect(first.purchase?.status).toBe('REQUIRES_CONFIRMATION');
    const input = order(who, 'few', over, { maxUnconfirmed: 1 });
    const before = await stockOf('few');
    expect(await runPhaseOne(app.deps.db, input)).toEqual({ outcome: 'unconfirmed_cap', detail: null, purchase: null });
    expect(await stockOf('few')).toBe(before);
    expect(await purchaseRow(input.purchase.id)).toBeNull();
    // within the allowance it does not wait, so the cap does not apply
    expect((await runPhaseOne(app.deps.db, order(who, 'life', {}, { maxUnconfirmed: 1 }))).purchase?.status).toBe(
      'PROCESSING',
    );
  });

  it('steps up to REQUIRES_ACTION (risk), and keeps a blocked purchase FAILED without taking stock', async () => {
    const who = await buyer();
    const stepUp = await runPhaseOne(app.deps.db, order(who, 'life', { riskDecision: 'STEP_UP' }));
    expect(stepUp.purchase).toMatchObject({ status: 'REQUIRES_ACTION', actionReason: 'risk', path: 'one_tap' });
    const before = await stockOf('few');
    const input = order(who, 'few', {
      riskDecision: 'BLOCK',
      riskRules: [{ rule: 'player_blocked', value: 1, threshold: 1 }],
    });
    const blocked = await runPhaseOne(app.deps.db, input);
    expect(blocked.outcome).toBe('created');
    expect(blocked.purchase).toMatchObject({
      status: 'FAILED',
      declineCode: 'risk_blocked',
      path: 'one_tap',
      riskRules: [{ rule: 'player_blocked', value: 1, threshold: 1 }],
      processingAt: null,
      expiresAt: null,
    });
    expect(await stockOf('few')).toBe(before);
    expect(await riskEventsOf(input.purchase.id)).toHaveLength(1);
  });

  it('answers a key already used with its purchase, and writes nothing', async () => {
    const who = await buyer();
    const first = order(who, 'few');
    const created = await runPhaseOne(app.deps.db, first);
    const before = await stockOf('few');
    const again = order(who, 'few', { idempotencyKey: first.purchase.idempotencyKey });
    const duplicate = await runPhaseOne(app.deps.db, again);
    expect(duplicate).toEqual({ outcome: 'duplicate', detail: null, purchase: created.purchase });
    expect(await stockOf('few')).toBe(before);
    expect(await purchaseRow(again.purchase.id)).toBeNull();
  });

  it('checks the item limits under the lock: a durable once, maxPerPlayer counted', async () => {
    const who = await buyer();
    const durable = { item: { kind: 'DURABLE' as const, maxPerPlayer: null } };
    expect((await runPhaseOne(app.deps.db, order(who, 'skin', { quantity: 2 }, durable))).outcome).toBe(
      'durable_quantity',
    );
    expect((await runPhaseOne(app.deps.db, order(who, 'skin', {}, durable))).outcome).toBe('created');
    expect((await runPhaseOne(app.deps.db, order(who, 'skin', {}, durable))).outcome).toBe('already_owned');
    const capped = { item: { kind: 'CONSUMABLE' as const, maxPerPlayer: 2 } };
    expect((await runPhaseOne(app.deps.db, order(who, 'capped', {}, capped))).outcome).toBe('created');
    expect(await runPhaseOne(app.deps.db, order(who, 'capped', { quantity: 2 }, capped))).toEqual({
      outcome: 'max_per_player',
      detail: 1,
      purchase: null,
    });
  });

  it('sells the last unit once to concurrent buyers; the others are out of stock, the stock never below zero', async () => {
    // Set up one at a time (sign-ups at once only queue on the cores); then they buy at once.
    const buyers = [];
    for (let i = 0; i < 6; i++) buyers.push(await buyer());
    const results = await Promise.all(buyers.map((who) => runPhaseOne(app.deps.db, order(who, 'contested'))));
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'out_of_stock').map((r) => r.detail)).toEqual([0, 0, 0, 0, 0]);
    expect(await stockOf('contested')).toBe(0);
  });
});

describe('purchase_phase_one and the TypeScript statuses', () => {
  it('writes out the same COUNTED and AWAITING statuses as purchase-state.ts', () => {
    const sql = readFileSync(new URL('../../../drizzle/0017_purchase_phase_one.sql', import.meta.url), 'utf8');
    const list = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(', ');
    expect(sql).toContain(`status IN (${list(COUNTED_STATUSES)})`);
    expect(sql).toContain(`status IN (${list(AWAITING_STATUSES)})`);
    expect(sql).toContain(`status IN (${list([...COUNTED_STATUSES, ...AWAITING_STATUSES])})`);
    expect(sql).toContain(`status IN (${list(['PROCESSING', ...AWAITING_STATUSES])})`);
  });

  it('and so does wallet_purchase, which checks the same limits and stock', () => {
    const sql = readFileSync(new URL('../../../drizzle/0019_wallet_purchase.sql', import.meta.url), 'utf8');
    const list = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(', ');
    expect(sql).toContain(`status IN (${list(AWAITING_STATUSES)})`);
    expect(sql).toContain(`status IN (${list([...COUNTED_STATUSES, ...AWAITING_STATUSES])})`);
    expect(sql).toContain(`status IN (${list(['PROCESSING', ...AWAITING_STATUSES])})`);
  });
});
