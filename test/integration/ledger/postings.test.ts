import fc from 'fast-check';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle, Executor } from '../../../src/db/client.js';
import {
  ledgerAccounts,
  ledgerBalanceBuckets,
  ledgerEntries,
  ledgerTransactions,
} from '../../../src/db/schema/index.js';
import { accountBalance } from '../../../src/modules/ledger/accounts.js';
import { newId } from '../../../src/shared/ids.js';
import { splitFee } from '../../../src/shared/money.js';
import { BALANCE_BUCKETS } from '../../../src/modules/ledger/post.js';
import {
  checkLedger,
  getSalePosting,
  postDispute,
  postRefund,
  postSale,
  ReversalExceedsSaleError,
} from '../../../src/modules/ledger/index.js';
import { inRolledBackTransaction, makeGame, openTestDatabase } from './fixtures.js';

let handle: DatabaseHandle;
let db: DatabaseHandle['db'];
beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
});
afterAll(() => handle.close());

/** The game-level balances by account kind (debit positive). */
async function balances(executor: Executor, gameId: string): Promise<Record<string, number>> {
  const rows = await executor
    .select({ kind: ledgerAccounts.kind, balance: accountBalance })
    .from(ledgerAccounts)
    .where(and(eq(ledgerAccounts.gameId, gameId), isNull(ledgerAccounts.playerId)));
  return Object.fromEntries(rows.map((r) => [r.kind, r.balance]));
}

async function sale(executor: Executor, gameId: string, amountMinor: number, feeBps = 3000) {
  const purchaseId = newId();
  const result = await postSale(executor, { purchaseId, gameId, amountMinor, currency: 'USD', feeBps });
  return { purchaseId, ...result };
}

describe('ledger postings', () => {
  it('splits awkward sale amounts (1, 3, 7, 99 at 3000 bps) into fee and net that sum exactly', async () => {
    const { gameId } = await makeGame(db);
    const expected = { 1: [0, 1], 3: [1, 2], 7: [2, 5], 99: [30, 69] } as const;
    for (const [amount, [fee, net]] of Object.entries(expected)) {
      const posted = await sale(db, gameId, Number(amount));
      expect({ fee: posted.feeMinor, net: posted.netMinor }).toEqual({ fee, net });
      expect(posted.feeMinor + posted.netMinor).toBe(Number(amount));
    }
    expect(await balances(db, gameId)).toEqual({ acquirer_receivable: 110, game_payable: -77, platform_revenue: -33 });
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('skips a zero leg: a 1-unit sale carries no fee entry', async () => {
    const { gameId } = await makeGame(db);
    const { purchaseId } = await sale(db, gameId, 1);
    const entries = await db
      .select({ amount: ledgerEntries.amountMinor })
      .from(ledgerEntries)
      .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
      .where(eq(ledgerTransactions.purchaseId, purchaseId));
    expect(entries.map((e) => e.amount).sort()).toEqual([-1, 1]);
  });

  it('posts a sale once per purchase: a repeat returns the first figures and writes nothing', async () => {
    const { gameId } = await makeGame(db);
    const first = await sale(db, gameId, 99);
    const again = await postSale(db, {
      purchaseId: first.purchaseId,
      gameId,
      amountMinor: 99,
      currency: 'USD',
      feeBps: 1000,
    });
    expect(again).toMatchObject({ feeMinor: 30, netMinor: 69, duplicate: true, transactionId: first.transactionId });
    expect(await balances(db, gameId)).toEqual({ acquirer_receivable: 99, game_payable: -69, platform_revenue: -30 });
  });

  it('reverses exactly the fee and net with two partial refunds that reach the total, and refuses a third', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 99);
    const base = { purchaseId: s.purchaseId, gameId, currency: 'USD', saleAmountMinor: 99, saleFeeMinor: s.feeMinor };
    const first = await postRefund(db, { ...base, refundId: newId(), refundMinor: 50 });
    const second = await postRefund(db, { ...base, refundId: newId(), refundMinor: 49 });
    expect(first.feeReturnedMinor + first.netReturnedMinor).toBe(50);
    expect(second.feeReturnedMinor + second.netReturnedMinor).toBe(49);
    expect(first.feeReturnedMinor + second.feeReturnedMinor).toBe(30);
    expect(first.netReturnedMinor + second.netReturnedMinor).toBe(69);
    expect(await balances(db, gameId)).toEqual({ acquirer_receivable: 0, game_payable: 0, platform_revenue: 0 });
    expect(await getSalePosting(db, s.purchaseId)).toEqual({
      amountMinor: 99,
      feeMinor: 30,
      netMinor: 69,
      currency: 'USD',
      reversedMinor: 99,
      feeReturnedMinor: 30,
      netReturnedMinor: 69,
    });

    const third = postRefund(db, { ...base, refundId: newId(), refundMinor: 1 });
    await expect(third).rejects.toBeInstanceOf(ReversalExceedsSaleError);
    await expect(third).rejects.toMatchObject({ remainingMinor: 0 });
    expect(await checkLedger(db, { purchaseId: s.purchaseId })).toEqual([]);
  });

  it('returns the fee one unit at a time without ever exceeding it (seven 1-unit refunds of 7)', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 7);
    const fees: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await postRefund(db, {
        purchaseId: s.purchaseId,
        gameId,
        currency: 'USD',
        saleAmountMinor: 7,
        saleFeeMinor: 2,
        refundId: newId(),
        refundMinor: 1,
      });
      fees.push(r.feeReturnedMinor);
      expect(fees.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
    }
    expect(fees.reduce((a, b) => a + b, 0)).toBe(2);
    expect(await checkLedger(db, { purchaseId: s.purchaseId })).toEqual([]);
  });

  it('for any sale, fee and split into refunds: each refund splits into non-negative parts and all of them return exactly fee and net', async () => {
    const { gameId } = await makeGame(db);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 6 }),
        async (amount, feeBps, weights) => {
          // Cut the amount into refunds proportional to the weights (at least one unit each where possible).
          const cuts = weights.slice(0, Math.min(weights.length, amount));
          const total = cuts.reduce((a, b) => a + b, 0);
          const parts = cuts.map((w) => Math.max(1, Math.floor((amount * w) / total)));
          parts[parts.length - 1] = amount - parts.slice(0, -1).reduce((a, b) => a + b, 0);
          fc.pre(parts.every((p) => p > 0));
          await inRolledBackTransaction(db, async (tx) => {
            const s = await sale(tx, gameId, amount, feeBps);
            expect(s).toMatchObject({ feeMinor: splitFee(amount, feeBps).fee });
            let fee = 0;
            let net = 0;
            for (const part of parts) {
              const r = await postRefund(tx, {
                purchaseId: s.purchaseId,
                gameId,
                currency: 'USD',
                saleAmountMinor: amount,
                saleFeeMinor: s.feeMinor,
                refundId: newId(),
                refundMinor: part,
              });
              expect(r.feeReturnedMinor).toBeGreaterThanOrEqual(0);
              expect(r.netReturnedMinor).toBeGreaterThanOrEqual(0);
              fee += r.feeReturnedMinor;
              net += r.netReturnedMinor;
              expect(fee).toBeLessThanOrEqual(s.feeMinor);
            }
            expect({ fee, net }).toEqual({ fee: s.feeMinor, net: s.netMinor });
            expect(await checkLedger(tx, { purchaseId: s.purchaseId })).toEqual([]);
          });
        },
      ),
      { numRuns: 12 },
    );
  });

  it('posts a refund once per refund id', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 99);
    const input = {
      purchaseId: s.purchaseId,
      gameId,
      currency: 'USD',
      saleAmountMinor: 99,
      saleFeeMinor: 30,
      refundId: newId(),
      refundMinor: 40,
    };
    const first = await postRefund(db, input);
    const again = await postRefund(db, input);
    expect(again).toEqual({ ...first, duplicate: true });
    expect((await balances(db, gameId)).acquirer_receivable).toBe(59);
  });

  it('posts a dispute like a refund of what is left, and never more than is left', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 99);
    const base = { purchaseId: s.purchaseId, gameId, currency: 'USD', saleAmountMinor: 99, saleFeeMinor: 30 };
    await postRefund(db, { ...base, refundId: newId(), refundMinor: 33 });
    await expect(postDispute(db, { ...base, disputeId: newId(), disputedMinor: 67 })).rejects.toMatchObject({
      remainingMinor: 66,
    });
    const dispute = await postDispute(db, { ...base, disputeId: newId(), disputedMinor: 66 });
    expect(dispute.feeReturnedMinor + dispute.netReturnedMinor).toBe(66);
    expect(await balances(db, gameId)).toEqual({ acquirer_receivable: 0, game_payable: 0, platform_revenue: 0 });
    const kinds = await db
      .select({ kind: ledgerTransactions.kind })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.purchaseId, s.purchaseId));
    expect(kinds.map((k) => k.kind).sort()).toEqual(['dispute', 'refund', 'sale']);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('refuses a refund of a purchase that has no sale, and one whose sale figures differ from the books', async () => {
    const { gameId } = await makeGame(db);
    const orphan = {
      purchaseId: newId(),
      gameId,
      currency: 'USD',
      saleAmountMinor: 10,
      saleFeeMinor: 3,
      refundId: newId(),
      refundMinor: 5,
    };
    expect(await getSalePosting(db, orphan.purchaseId)).toBeNull();
    await expect(postRefund(db, orphan)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const s = await sale(db, gameId, 10);
    await expect(postRefund(db, { ...orphan, purchaseId: s.purchaseId, saleFeeMinor: 4 })).rejects.toThrow(
      /ledger has 10 \(fee 3\)/,
    );
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it("rolls back with the caller's transaction: nothing of a sale stays when the purchase fails after posting", async () => {
    const { gameId } = await makeGame(db);
    const purchaseId = newId();
    await expect(
      db.transaction(async (tx) => {
        await postSale(tx, { purchaseId, gameId, amountMinor: 500, currency: 'USD', feeBps: 3000 });
        throw new Error('fulfilment failed');
      }),
    ).rejects.toThrow('fulfilment failed');
    expect(await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.purchaseId, purchaseId))).toEqual([]);
    expect(await balances(db, gameId)).toEqual({});
  });

  it('serializes concurrent partial refunds of one purchase so they never return more than the fee', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 1001);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        db.transaction((tx) =>
          postRefund(tx, {
            purchaseId: s.purchaseId,
            gameId,
            currency: 'USD',
            saleAmountMinor: 1001,
            saleFeeMinor: s.feeMinor,
            refundId: newId(),
            refundMinor: 91,
          }),
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(11);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([
      expect.any(ReversalExceedsSaleError),
    ]);
    expect(await balances(db, gameId)).toEqual({ acquirer_receivable: 0, game_payable: 0, platform_revenue: 0 });
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });
});

describe('shared account balances in buckets', () => {
  it('spreads concurrent sales of one game over several bucket rows whose sum is the balance', async () => {
    const { gameId } = await makeGame(db);
    const amounts = Array.from({ length: 40 }, (_, i) => 100 + i);
    const results = await Promise.all(
      amounts.map((amountMinor) => db.transaction((tx) => sale(tx, gameId, amountMinor))),
    );
    const gross = amounts.reduce((a, b) => a + b, 0);
    const fees = results.reduce((a, r) => a + r.feeMinor, 0);
    expect(await balances(db, gameId)).toEqual({
      acquirer_receivable: gross,
      game_payable: -(gross - fees),
      platform_revenue: -fees,
    });
    const [receivable] = await db
      .select()
      .from(ledgerAccounts)
      .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'acquirer_receivable')));
    expect(receivable!.balanceMinor).toBe(0);
    const buckets = await db
      .select()
      .from(ledgerBalanceBuckets)
      .where(eq(ledgerBalanceBuckets.accountId, receivable!.id));
    // 40 postings over 32 buckets land in far more than one row (all in one: about 1 in 10^58).
    expect(buckets.length).toBeGreaterThan(5);
    expect(buckets.every((b) => b.bucket >= 0 && b.bucket < BALANCE_BUCKETS)).toBe(true);
    expect(buckets.reduce((a, b) => a + b.balanceMinor, 0)).toBe(gross);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('lets two sales of one game commit while a third holds its transaction open (no shared row lock between them)', async () => {
    const { gameId } = await makeGame(db);
    await sale(db, gameId, 5); // opens the accounts (a first sale's new account rows are locked until it commits)
    // Hold one sale's transaction open: with a single balance row the others would wait for it.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let posted!: () => void;
    const holding = new Promise<void>((resolve) => (posted = resolve));
    const holder = db.transaction(async (tx) => {
      await sale(tx, gameId, 10);
      posted();
      await held;
    });
    await holding;
    // Of several sales at least most land in other buckets and commit while the holder waits.
    const others = Array.from({ length: 6 }, () =>
      db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '2s'`);
        return sale(tx, gameId, 20);
      }),
    );
    const settled = await Promise.allSettled(others);
    release();
    for (const r of settled)
      if (r.status === 'rejected') expect(String(r.reason?.cause ?? r.reason)).toMatch(/lock timeout/);
    await holder;
    // Each of the 6 shares the holder's bucket with probability 1/32; all 6 together never.
    expect(settled.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(3);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it("adds a shared account's own row (balances from before buckets) to its buckets", async () => {
    const { gameId } = await makeGame(db);
    const s1 = await sale(db, gameId, 10);
    await inRolledBackTransaction(db, async (tx) => {
      // As if 7 had been posted by the previous release (entry and row balance, no bucket).
      const [receivable] = await tx
        .select()
        .from(ledgerAccounts)
        .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'acquirer_receivable')));
      const [payable] = await tx
        .select()
        .from(ledgerAccounts)
        .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'game_payable')));
      const id = newId();
      await tx
        .insert(ledgerTransactions)
        .values({ id, kind: 'sale', reference: newId(), gameId, purchaseId: s1.purchaseId });
      await tx.insert(ledgerEntries).values([
        { id: newId(), transactionId: id, accountId: receivable!.id, currency: 'USD', amountMinor: 7, gameId },
        { id: newId(), transactionId: id, accountId: payable!.id, currency: 'USD', amountMinor: -7, gameId },
      ]);
      await tx
        .update(ledgerAccounts)
        .set({ balanceMinor: sql`${ledgerAccounts.balanceMinor} + 7` })
        .where(eq(ledgerAccounts.id, receivable!.id));
      await tx
        .update(ledgerAccounts)
        .set({ balanceMinor: sql`${ledgerAccounts.balanceMinor} - 7` })
        .where(eq(ledgerAccounts.id, payable!.id));
      expect(await balances(tx, gameId)).toMatchObject({ acquirer_receivable: 17, game_payable: -(7 + s1.netMinor) });
      expect((await checkLedger(tx, { gameId })).filter((v) => v.includes('balance'))).toEqual([]);
    });
  });
});

describe('ledger guards in the database', () => {
  const codeOf = (error: unknown): string | undefined =>
    (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;

  it('refuses to commit a transaction whose entries do not sum to zero', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 10);
    const [receivable] = await db
      .select()
      .from(ledgerAccounts)
      .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'acquirer_receivable')));
    const transactionId = newId();
    const error = await db
      .transaction(async (tx) => {
        await tx
          .insert(ledgerTransactions)
          .values({ id: transactionId, kind: 'refund', reference: transactionId, gameId, purchaseId: s.purchaseId });
        await tx
          .insert(ledgerEntries)
          .values({ id: newId(), transactionId, accountId: receivable!.id, currency: 'USD', amountMinor: -4, gameId });
      })
      .catch((e: unknown) => e);
    expect(codeOf(error)).toBe('23514');
    expect(await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.id, transactionId))).toEqual([]);
  });

  it('checks a posting once at commit, and again when entries are added after a check', async () => {
    const { gameId } = await makeGame(db);
    await sale(db, gameId, 10);
    const [receivable] = await db
      .select()
      .from(ledgerAccounts)
      .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'acquirer_receivable')));
    const [payable] = await db
      .select()
      .from(ledgerAccounts)
      .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'game_payable')));
    const transactionId = newId();
    const entry = (accountId: string, amountMinor: number) => ({
      id: newId(),
      transactionId,
      accountId,
      currency: 'USD',
      amountMinor,
      gameId,
    });
    const error = await db
      .transaction(async (tx) => {
        await tx
          .insert(ledgerTransactions)
          .values({ id: transactionId, kind: 'refund', reference: transactionId, gameId });
        await tx.insert(ledgerEntries).values([entry(receivable!.id, -4), entry(payable!.id, 4)]);
        // The check runs now and passes; the entry after it must be checked again at commit.
        await tx.execute(sql`set constraints all immediate`);
        await tx.execute(sql`set constraints all deferred`);
        await tx.insert(ledgerEntries).values(entry(receivable!.id, -1));
      })
      .catch((e: unknown) => e);
    expect(codeOf(error)).toBe('23514');
    expect(await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.id, transactionId))).toEqual([]);
  });

  it('keeps entries and transactions append-only', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 10);
    const update = await db
      .update(ledgerEntries)
      .set({ amountMinor: 11 })
      .where(eq(ledgerEntries.transactionId, s.transactionId))
      .catch((e: unknown) => e);
    expect(codeOf(update)).toBe('55000');
    const remove = await db
      .delete(ledgerTransactions)
      .where(eq(ledgerTransactions.id, s.transactionId))
      .catch((e: unknown) => e);
    expect(codeOf(remove)).toBe('55000');
    expect(await checkLedger(db, { purchaseId: s.purchaseId })).toEqual([]);
  });
});

describe('checkLedger', () => {
  it('reports a transaction that does not sum to zero', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 99);
    await inRolledBackTransaction(db, async (tx) => {
      const [receivable] = await tx
        .select()
        .from(ledgerAccounts)
        .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'acquirer_receivable')));
      await tx.insert(ledgerEntries).values({
        id: newId(),
        transactionId: s.transactionId,
        accountId: receivable!.id,
        currency: 'USD',
        amountMinor: 5,
        gameId,
      });
      // Keep the balance in step so that only the imbalance is reported.
      await tx
        .update(ledgerAccounts)
        .set({ balanceMinor: sql`${ledgerAccounts.balanceMinor} + 5` })
        .where(eq(ledgerAccounts.id, receivable!.id));
      const violations = await checkLedger(tx, { gameId });
      expect(violations).toEqual([
        expect.stringMatching(new RegExp(`transaction ${s.transactionId} \\(sale ${s.purchaseId}\\) sums to 5 USD`)),
        expect.stringMatching(/sale of 104 splits into fee 30 and net 69/),
      ]);
    });
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('reports an account whose balance is out of step with its entries', async () => {
    const { gameId } = await makeGame(db);
    await sale(db, gameId, 99);
    await inRolledBackTransaction(db, async (tx) => {
      const [payable] = await tx
        .select()
        .from(ledgerAccounts)
        .where(and(eq(ledgerAccounts.gameId, gameId), eq(ledgerAccounts.kind, 'game_payable')));
      await tx
        .update(ledgerBalanceBuckets)
        .set({ balanceMinor: sql`${ledgerBalanceBuckets.balanceMinor} - 1` })
        .where(eq(ledgerBalanceBuckets.accountId, payable!.id));
      expect(await checkLedger(tx, { gameId })).toEqual([
        expect.stringMatching(/\(game_payable USD\) has balance -70 but its entries sum to -69/),
      ]);
    });
  });

  it('reports refunds beyond the sale and a fee returned beyond the sale fee', async () => {
    const { gameId } = await makeGame(db);
    const s = await sale(db, gameId, 10);
    await inRolledBackTransaction(db, async (tx) => {
      const accounts = await tx.select().from(ledgerAccounts).where(eq(ledgerAccounts.gameId, gameId));
      const id = (kind: string) => accounts.find((a) => a.kind === kind)!.id;
      const refundId = newId();
      await tx
        .insert(ledgerTransactions)
        .values({ id: refundId, kind: 'refund', reference: refundId, gameId, purchaseId: s.purchaseId, refundId });
      await tx.insert(ledgerEntries).values([
        {
          id: newId(),
          transactionId: refundId,
          accountId: id('acquirer_receivable'),
          currency: 'USD',
          amountMinor: -12,
          gameId,
        },
        {
          id: newId(),
          transactionId: refundId,
          accountId: id('platform_revenue'),
          currency: 'USD',
          amountMinor: 5,
          gameId,
        },
        {
          id: newId(),
          transactionId: refundId,
          accountId: id('game_payable'),
          currency: 'USD',
          amountMinor: 7,
          gameId,
        },
      ]);
      const violations = await checkLedger(tx, { purchaseId: s.purchaseId });
      expect(violations).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/refunds and disputes total 12, more than the sale of 10/),
          expect.stringMatching(/returned fee 5, more than the sale fee 3/),
          expect.stringMatching(/\(acquirer_receivable USD\) has balance 10 but its entries sum to -2/),
        ]),
      );
    });
  });

  it('is empty for a healthy ledger across every game', async () => {
    expect(await checkLedger(db)).toEqual([]);
  });
});
