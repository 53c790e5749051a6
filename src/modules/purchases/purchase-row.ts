import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { bareValue, preparedStatement, type Param } from '../../db/prepared.js';
import { purchases, type PurchaseStatus } from '../../db/schema/index.js';
import type { Money } from '../../shared/money.js';
import { assertTransition } from './purchase-state.js';

export type PurchaseRow = typeof purchases.$inferSelect;

export function priceOf(purchase: Pick<PurchaseRow, 'amountMinor' | 'currency'>): Money {
  return { amountMinor: purchase.amountMinor, currency: purchase.currency };
}

const purchaseQuery = (executor: Executor, id: Param<string>) =>
  executor.select().from(purchases).where(eq(purchases.id, id)).limit(1);
const purchaseById = preparedStatement((db) => purchaseQuery(db, sql.placeholder('id')).prepare('purchases_by_id'));

const keyQuery = (executor: Executor, gameId: Param<string>, playerId: Param<string>, key: Param<string>) =>
  executor
    .select()
    .from(purchases)
    .where(and(eq(purchases.gameId, gameId), eq(purchases.playerId, playerId), eq(purchases.idempotencyKey, key)))
    .limit(1);
// Every createPurchase looks its key up first (the database backstop of idempotency): prepared.
const purchaseByKey = preparedStatement((db) =>
  keyQuery(db, sql.placeholder('gameId'), sql.placeholder('playerId'), sql.placeholder('key')).prepare(
    'purchases_by_idempotency_key',
  ),
);

export async function findPurchase(executor: Executor, id: string, lock = false): Promise<PurchaseRow | null> {
  const [row] = lock ? await purchaseQuery(executor, id).for('update') : await purchaseById(executor).execute({ id });
  return row ?? null;
}

export async function findByIdempotencyKey(
  executor: Executor,
  gameId: string,
  playerId: string,
  key: string,
): Promise<PurchaseRow | null> {
  const [row] = await purchaseByKey(executor).execute({ gameId, playerId, key });
  return row ?? null;
}

/** What creating a purchase writes; every other column takes its default. */
type NewPurchase = Pick<
  typeof purchases.$inferInsert,
  | 'id'
  | 'createdAt'
  | 'updatedAt'
  | 'gameId'
  | 'playerId'
  | 'recipientId'
  | 'itemId'
  | 'quantity'
  | 'unitPriceMinor'
  | 'amountMinor'
  | 'currency'
  | 'feeBps'
  | 'idempotencyKey'
  | 'status'
  | 'path'
  | 'cardId'
  | 'declineCode'
  | 'riskDecision'
  | 'riskScore'
  | 'riskRules'
  | 'actionReason'
  | 'expiresAt'
  | 'stockHoldUntil'
  | 'processingAt'
>;

const NEW_PURCHASE_COLUMNS = [
  'id',
  'createdAt',
  'updatedAt',
  'gameId',
  'playerId',
  'recipientId',
  'itemId',
  'quantity',
  'unitPriceMinor',
  'amountMinor',
  'currency',
  'feeBps',
  'idempotencyKey',
  'status',
  'path',
  'cardId',
  'declineCode',
  'riskDecision',
  'riskScore',
  'riskRules',
  'actionReason',
  'expiresAt',
  'stockHoldUntil',
  'processingAt',
] as const satisfies readonly (keyof NewPurchase)[];

// Every purchase is created by this one statement, whatever its path: prepared, every column a bare placeholder.
const insertPurchaseStatement = preparedStatement((executor) =>
  executor
    .insert(purchases)
    .values(
      Object.fromEntries(
        NEW_PURCHASE_COLUMNS.map((column) => [column, bareValue(column)]),
      ) as unknown as typeof purchases.$inferInsert,
    )
    .onConflictDoNothing()
    .returning()
    .prepare('purchases_insert'),
);

/** Inserts a new purchase; null when its idempotency key (per game and buyer) is already taken. */
export async function insertPurchase(tx: Executor, values: NewPurchase): Promise<PurchaseRow | null> {
  const params: Record<string, unknown> = {};
  for (const column of NEW_PURCHASE_COLUMNS) params[column] = driverValue(values[column]);
  const [row] = await insertPurchaseStatement(tx).execute(params);
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
  const columns = Object.keys(values)
    .filter((c) => (values as Record<string, unknown>)[c] !== undefined)
    .sort() as (keyof PurchaseChanges)[];
  const params: Record<string, unknown> = { id };
  for (const column of columns) params[column] = driverValue(values[column]);
  const [row] = await updateStatement(columns, statuses)(tx).execute(params);
  return row ?? null;
}

type PurchaseChanges = Partial<typeof purchases.$inferInsert>;

/** A value as the driver should receive it for a bare placeholder: jsonb (risk rules) as its JSON text, a date as ISO text. */
function driverValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value ?? null;
}

type UpdateStatement = ReturnType<typeof buildUpdateStatement>;
const updateStatements = new Map<string, UpdateStatement>();

/**
 * The guarded update for one shape (the columns set, the statuses it leaves): status changes run on
 * every purchase, so each shape is prepared once. The code has a handful of shapes; the map stays small.
 */
function updateStatement(columns: readonly string[], statuses: readonly PurchaseStatus[]): UpdateStatement {
  const shape = `${columns.join(',')}|${statuses.join(',')}`;
  let statement = updateStatements.get(shape);
  if (!statement) {
    statement = buildUpdateStatement(
      columns,
      statuses,
      `purchases_update_${createHash('sha256').update(shape).digest('hex').slice(0, 16)}`,
    );
    updateStatements.set(shape, statement);
  }
  return statement;
}

function buildUpdateStatement(columns: readonly string[], statuses: readonly PurchaseStatus[], name: string) {
  return preparedStatement((executor) =>
    executor
      .update(purchases)
      .set({
        ...(Object.fromEntries(columns.map((column) => [column, bareValue(column)])) as PurchaseChanges),
        updatedAt: sql`date_trunc('milliseconds', now())`,
      })
      .where(and(eq(purchases.id, sql.placeholder('id')), sql`${purchases.status} in ${statuses}`))
      .returning()
      .prepare(name),
  );
}
