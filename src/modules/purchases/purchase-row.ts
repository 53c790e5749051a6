import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { isTransaction, preparedStatement, type Param } from '../../db/prepared.js';
import { purchases, type PurchaseStatus } from '../../db/schema/index.js';
import type { Money } from '../../shared/money.js';
import { assertTransition } from './purchase-state.js';

export type PurchaseRow = typeof purchases.$inferSelect;

/** The acquirer idempotency key of the purchase's current charge attempt: its id, then id:2, id:3… */
export function attemptKey(purchase: Pick<PurchaseRow, 'id' | 'chargeAttempt'>): string {
  return purchase.chargeAttempt === 1 ? purchase.id : `${purchase.id}:${purchase.chargeAttempt}`;
}

export function priceOf(purchase: Pick<PurchaseRow, 'amountMinor' | 'currency'>): Money {
  return { amountMinor: purchase.amountMinor, currency: purchase.currency };
}

const purchaseQuery = (executor: Executor, id: Param<string>) => executor.select().from(purchases).where(eq(purchases.id, id)).limit(1);
const purchaseById = preparedStatement((db) => purchaseQuery(db, sql.placeholder('id')).prepare('purchases_by_id'));

const keyQuery = (executor: Executor, gameId: Param<string>, playerId: Param<string>, key: Param<string>) =>
  executor
    .select()
    .from(purchases)
    .where(and(eq(purchases.gameId, gameId), eq(purchases.playerId, playerId), eq(purchases.idempotencyKey, key)))
    .limit(1);
// Every createPurchase looks its key up first (the database backstop of idempotency): prepared.
const purchaseByKey = preparedStatement((db) =>
  keyQuery(db, sql.placeholder('gameId'), sql.placeholder('playerId'), sql.placeholder('key')).prepare('purchases_by_idempotency_key'),
);

export async function findPurchase(executor: Executor, id: string, lock = false): Promise<PurchaseRow | null> {
  const [row] = lock
    ? await purchaseQuery(executor, id).for('update')
    : isTransaction(executor)
      ? await purchaseQuery(executor, id)
      : await purchaseById(executor).execute({ id });
  return row ?? null;
}

export async function findByIdempotencyKey(executor: Executor, gameId: string, playerId: string, key: string): Promise<PurchaseRow | null> {
  const [row] = isTransaction(executor)
    ? await keyQuery(executor, gameId, playerId, key)
    : await purchaseByKey(executor).execute({ gameId, playerId, key });
  return row ?? null;
}

/**
 * Moves a purchase from `from` to the values given, only if it is still in `from`: the guard that
 * makes concurrent writers (a request, the recovery loop, another instance) finish it once.
 */
export async function updateIfStatus(
  tx: Executor,
  id: string,
  from: PurchaseStatus | readonly PurchaseStatus[],
  values: Partial<typeof purchases.$inferInsert>,
): Promise<PurchaseRow | null> {
  const statuses = typeof from === 'string' ? [from] : from;
  // Every status change follows the state machine; the SQL guard below makes it hold under concurrency.
  if (values.status) for (const status of statuses) assertTransition(status, values.status);
  const [row] = await tx
    .update(purchases)
    .set({ ...values, updatedAt: sql`date_trunc('milliseconds', now())` })
    .where(and(eq(purchases.id, id), sql`${purchases.status} in ${statuses}`))
    .returning();
  return row ?? null;
}
