import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/client.js';
import { ledgerTransactions } from '../../../src/db/schema/index.js';
import { InsufficientFundsError, NotFoundError, ValidationError } from '../../../src/shared/errors.js';
import { newId } from '../../../src/shared/ids.js';
import { checkLedger, ReversalExceedsSaleError } from '../../../src/modules/ledger/index.js';
import {
  clawbackWallet,
  creditWallet,
  debitWallet,
  getWallet,
  refundWalletSpend,
  walletBalance,
} from '../../../src/modules/wallet/index.js';
import { makeGame, makePlayer, openTestDatabase, Rollback, serviceContext } from './fixtures.js';
import { BALANCE_BUCKETS } from '../../../src/modules/ledger/post.js';
import { queryRows } from '../../../src/db/query-rows.js';
import { waitFor } from '../../helpers/processes.js';

let handle: DatabaseHandle;
let db: DatabaseHandle['db'];
beforeAll(async () => {
  handle = await openTestDatabase(20);
  db = handle.db;
});
afterAll(() => handle.close());

async function funded(amount: number) {
  const { gameId, developerId } = await makeGame(db);
  const playerId = await makePlayer(db);
  await creditWallet(db, {
    gameId,
    playerId,
    currency: 'GEM',
    amountMinor: amount,
    reason: 'currency_pack',
    purchaseId: newId(),
  });
  return { gameId, developerId, playerId };
}

const balanceOf = async (gameId: string, playerId: string) =>
  (await walletBalance(db, gameId, playerId, 'GEM')).amountMinor;

describe('wallet', () => {
  it('lets exactly floor(balance / price) of 50 concurrent debits succeed and never goes below zero', async () => {
    const { gameId, playerId } = await funded(1000);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        db.transaction((tx) =>
          debitWallet(tx, { gameId, playerId, currency: 'GEM', amountMinor: 70, purchaseId: newId() }),
        ),
      ),
    );
    const succeeded = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(succeeded).toHaveLength(Math.floor(1000 / 70));
    expect(refused).toHaveLength(50 - 14);
    for (const error of refused) {
      expect(error).toBeInstanceOf(InsufficientFundsError);
      expect((error as InsufficientFundsError).balance).toEqual({ amountMinor: 20, currency: 'GEM' });
    }
    expect(await balanceOf(gameId, playerId)).toBe(20);
    const spends = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.playerId, playerId));
    expect(spends.filter((t) => t.kind === 'wallet_spend')).toHaveLength(14);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('makes a credit wait for a clawback of the same wallet in the same balance bucket, without deadlocking', async () => {
    const { gameId, playerId } = await funded(500);
    // T1 (a refund's clawback) holds the wallet row first, and only later posts to currency_issued's bucket.
    let locked!: (bucket: number) => void;
    const walletLocked = new Promise<number>((resolve) => (locked = resolve));
    let t2Waiting!: (pid: number) => void;
    const t2Started = new Promise<number>((resolve) => (t2Waiting = resolve));
    const t1 = db.transaction(async (tx) => {
      const [{ bucket }] = (await queryRows<{ bucket: number }>(
        tx,
        sql`select (txid_current() % ${BALANCE_BUCKETS})::int as bucket`,
      )) as [{ bucket: number }];
      await tx.execute(
        sql`select id from ledger_accounts where game_id = ${gameId} and player_id = ${playerId} and kind = 'player_wallet' for no key update`,
      );
      locked(bucket);
      const t2Pid = await t2Started;
      // T2 has queued on a lock (the wallet row, if the order is right) before T1 goes on.
      await waitFor(
        async () =>
          (
            await queryRows<{ waiting: string | null }>(
              db,
              sql`select wait_event_type as waiting from pg_stat_activity where pid = ${t2Pid}`,
            )
          )[0]?.waiting === 'Lock',
        10_000,
        'T2 to wait on a lock',
        10,
      );
      await clawbackWallet(tx, {
        gameId,
        playerId,
        currency: 'GEM',
        amountMinor: 100,
        purchaseId: newId(),
        refundId: newId(),
        reference: newId(),
      });
    });
    const bucket = await walletLocked;
    // T2 credits the same wallet from a transaction in the same bucket (retried until its xid lands there).
    // It must queue on the wallet row before taking currency_issued's bucket row, or the two deadlock.
    const t2 = (async () => {
      for (let attempt = 0; attempt < 1000; attempt++) {
        const credited = await db
          .transaction(async (tx) => {
            const [{ mine, pid }] = (await queryRows<{ mine: number; pid: number }>(
              tx,
              sql`select (txid_current() % ${BALANCE_BUCKETS})::int as mine, pg_backend_pid() as pid`,
            )) as [{ mine: number; pid: number }];
            if (mine !== bucket) throw new Rollback();
            t2Waiting(pid);
            await creditWallet(tx, {
              gameId,
              playerId,
              currency: 'GEM',
              amountMinor: 40,
              reason: 'currency_pack',
              purchaseId: newId(),
            });
            return true;
          })
          .catch((error: unknown) => {
            if (error instanceof Rollback) return false;
            throw error;
          });
        if (credited) return;
      }
      throw new Error('no transaction landed in the bucket');
    })();
    await Promise.all([t1, t2]);
    expect(await balanceOf(gameId, playerId)).toBe(500 - 100 + 40);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('answers a second spend under the same purchase, made while the first is open, as a duplicate', async () => {
    // 100 in the wallet, two spends of 60 for one purchase at once: the second waits for the first
    // and must then be a duplicate (not a unique violation, not InsufficientFunds for money it spent)
    const { gameId, playerId } = await funded(100);
    const purchaseId = newId();
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstSpent!: () => void;
    const spent = new Promise<void>((resolve) => {
      firstSpent = resolve;
    });
    const first = db.transaction(async (tx) => {
      const change = await debitWallet(tx, { gameId, playerId, currency: 'GEM', amountMinor: 60, purchaseId });
      firstSpent();
      await firstHolds;
      return change;
    });
    await spent;
    const second = debitWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 60, purchaseId });
    // the second is waiting on the wallet row the first holds
    await waitFor(
      async () => {
        const rows = await queryRows<{ n: number }>(
          db,
          sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
        );
        return (rows[0]?.n ?? 0) > 0;
      },
      10_000,
      'the second spend waiting on the wallet row',
    );
    releaseFirst();
    expect(await first).toEqual({ balance: { amountMinor: 40, currency: 'GEM' }, duplicate: false });
    expect(await second).toEqual({ balance: { amountMinor: 40, currency: 'GEM' }, duplicate: true });
    expect(await balanceOf(gameId, playerId)).toBe(40);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('refuses a debit beyond the balance with the balance, writing nothing', async () => {
    const { gameId, playerId } = await funded(30);
    const purchaseId = newId();
    await expect(
      debitWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 31, purchaseId }),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      balance: { amountMinor: 30, currency: 'GEM' },
    });
    expect(await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.purchaseId, purchaseId))).toEqual([]);
    expect(await balanceOf(gameId, playerId)).toBe(30);
  });

  it("keeps the caller's transaction usable after InsufficientFunds (the failed spend rolls back alone)", async () => {
    const { gameId, playerId } = await funded(10);
    await db.transaction(async (tx) => {
      await expect(
        debitWallet(tx, { gameId, playerId, currency: 'GEM', amountMinor: 11, purchaseId: newId() }),
      ).rejects.toBeInstanceOf(InsufficientFundsError);
      await debitWallet(tx, { gameId, playerId, currency: 'GEM', amountMinor: 4, purchaseId: newId() });
    });
    expect(await balanceOf(gameId, playerId)).toBe(6);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('credits a purchase once and debits a purchase once', async () => {
    const { gameId } = await makeGame(db);
    const playerId = await makePlayer(db);
    const pack = newId();
    const first = await creditWallet(db, {
      gameId,
      playerId,
      currency: 'GEM',
      amountMinor: 500,
      reason: 'currency_pack',
      purchaseId: pack,
    });
    const again = await creditWallet(db, {
      gameId,
      playerId,
      currency: 'GEM',
      amountMinor: 500,
      reason: 'currency_pack',
      purchaseId: pack,
    });
    expect(first).toEqual({ balance: { amountMinor: 500, currency: 'GEM' }, duplicate: false });
    expect(again).toEqual({ balance: { amountMinor: 500, currency: 'GEM' }, duplicate: true });
    const buy = newId();
    await debitWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 120, purchaseId: buy });
    expect(
      await debitWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 120, purchaseId: buy }),
    ).toMatchObject({ duplicate: true });
    expect(await balanceOf(gameId, playerId)).toBe(380);
  });

  it('refuses a currency the game did not define', async () => {
    const { gameId } = await makeGame(db);
    const playerId = await makePlayer(db);
    await expect(
      creditWallet(db, { gameId, playerId, currency: 'COIN', amountMinor: 5, reason: 'grant', reference: newId() }),
    ).rejects.toThrow(/no currency COIN/);
    await expect(
      creditWallet(db, { gameId, playerId, currency: 'USD', amountMinor: 5, reason: 'grant', reference: newId() }),
    ).rejects.toThrow(/not a game currency/);
  });

  it('claws back only what is left of granted currency, once per refund', async () => {
    const { gameId, playerId } = await funded(100);
    await debitWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 70, purchaseId: newId() });
    const refundId = newId();
    expect(await clawbackWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 100, refundId })).toBe(30);
    expect(await balanceOf(gameId, playerId)).toBe(0);
    // New currency arrives; repeating the same refund's clawback must not touch it.
    await creditWallet(db, {
      gameId,
      playerId,
      currency: 'GEM',
      amountMinor: 50,
      reason: 'currency_pack',
      purchaseId: newId(),
    });
    expect(await clawbackWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 100, refundId })).toBe(30);
    expect(await balanceOf(gameId, playerId)).toBe(50);
    expect(await clawbackWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 20, disputeId: newId() })).toBe(
      20,
    );
    expect(await balanceOf(gameId, playerId)).toBe(30);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('takes nothing from an empty wallet', async () => {
    const { gameId } = await makeGame(db);
    const playerId = await makePlayer(db);
    expect(await clawbackWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 10, refundId: newId() })).toBe(0);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });

  it('gives back currency spent on a refunded wallet purchase, never more than it spent', async () => {
    const { gameId, playerId } = await funded(100);
    const purchaseId = newId();
    await debitWallet(db, { gameId, playerId, currency: 'GEM', amountMinor: 60, purchaseId });
    await refundWalletSpend(db, { gameId, playerId, currency: 'GEM', amountMinor: 40, purchaseId, refundId: newId() });
    await expect(
      refundWalletSpend(db, { gameId, playerId, currency: 'GEM', amountMinor: 21, purchaseId, refundId: newId() }),
    ).rejects.toBeInstanceOf(ReversalExceedsSaleError);
    const last = await refundWalletSpend(db, {
      gameId,
      playerId,
      currency: 'GEM',
      amountMinor: 20,
      purchaseId,
      refundId: newId(),
    });
    expect(last.balance.amountMinor).toBe(100);
    expect(await checkLedger(db, { gameId })).toEqual([]);
  });
});

describe('getWallet', () => {
  it("shows a player's own balances in every currency of the game through their game token", async () => {
    const { gameId, playerId } = await funded(42);
    const ctx = serviceContext(db, { kind: 'player_game', playerId, gameId, authorizationId: newId() });
    expect(await getWallet(ctx, gameId)).toEqual([{ amountMinor: 42, currency: 'GEM' }]);
    await expect(getWallet(ctx, gameId, await makePlayer(db))).rejects.toBeInstanceOf(NotFoundError);
    const other = await makeGame(db);
    await expect(getWallet(ctx, other.gameId)).rejects.toBeInstanceOf(NotFoundError);
    expect(
      await getWallet(
        serviceContext(db, { kind: 'player_game', playerId: await makePlayer(db), gameId, authorizationId: newId() }),
        gameId,
      ),
    ).toEqual([{ amountMinor: 0, currency: 'GEM' }]);
  });

  it("needs the player with the game's secret key, and another game's key sees nothing", async () => {
    const { gameId, developerId, playerId } = await funded(7);
    const secret = serviceContext(db, { kind: 'game_secret', gameId, developerId, keyId: newId() });
    expect(await getWallet(secret, gameId, playerId)).toEqual([{ amountMinor: 7, currency: 'GEM' }]);
    await expect(getWallet(secret, gameId)).rejects.toBeInstanceOf(ValidationError);
    const other = await makeGame(db);
    const otherSecret = serviceContext(db, {
      kind: 'game_secret',
      gameId: other.gameId,
      developerId: other.developerId,
      keyId: newId(),
    });
    await expect(getWallet(otherSecret, gameId, playerId)).rejects.toBeInstanceOf(NotFoundError);
  });
});
