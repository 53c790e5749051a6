import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { decodeRow, preparedSql } from '../../db/prepared.js';
import { purchases } from '../../db/schema/index.js';
import { groupCommit } from '../../shared/group-commit.js';
import type { OutboxEnqueued } from '../webhooks/index.js';
import type { SettleGrant } from './fulfil.js';
import type { PurchaseRow } from './purchase-row.js';

export interface SettleInput {
  readonly purchaseId: string;
  readonly acquirerChargeId: string | null;
  readonly succeededAt: Date;
  readonly receipt: string;
  /** The platform fee of a card sale; null when there is no sale to post (a wallet purchase). */
  readonly feeMinor: number | null;
  /** The sale accounts as this process keeps them; null to look them up. */
  readonly saleAccounts: readonly string[] | null;
  readonly grant: SettleGrant;
  /** outbox_enqueue's argument; the first event is the purchase's own. */
  readonly eventsJson: string;
}

export interface Settled {
  /** The purchase as it now stands. */
  readonly row: PurchaseRow;
  /** False when it was no longer PROCESSING: nothing was written. */
  readonly settled: boolean;
  /** The sale accounts used (for the caller to keep), null without a sale. */
  readonly saleAccounts: readonly string[] | null;
  readonly events: readonly OutboxEnqueued[];
}

// Phase 3 of every success is this one statement (the SQL function settle_purchase, drizzle/0016): one
// round trip and one commit. Its row of the purchases type is spread into the table's columns.
const settleStatement = preparedSql(
  'purchases_settle',
  sql`select (r.purchase).*, r.settled as settle_settled, r.sale_accounts as settle_sale_accounts, r.events as settle_events
    from settle_purchase(${sql.placeholder('id')}::uuid, ${sql.placeholder('acquirerChargeId')}::text,
      ${sql.placeholder('succeededAt')}::timestamptz, ${sql.placeholder('receipt')}::text, ${sql.placeholder('feeMinor')}::bigint,
      ${sql.placeholder('saleAccounts')}::uuid[], ${sql.placeholder('grant')}::jsonb, ${sql.placeholder('events')}::jsonb) as r`,
);

interface SettleRow extends Record<string, unknown> {
  readonly settle_settled: boolean;
  readonly settle_sale_accounts: string[] | null;
  readonly settle_events: OutboxEnqueued[];
}

/**
 * Runs settle_purchase in its own implicit transaction; null when the purchase does not exist.
 * The purchase path reaches it only through `settlePurchase` (exported for the SQL function's tests).
 */
export async function settlePurchaseStatement(db: Executor, input: SettleInput): Promise<Settled | null> {
  const [result] = await settleStatement.execute<SettleRow>(db, {
    id: input.purchaseId,
    acquirerChargeId: input.acquirerChargeId,
    succeededAt: input.succeededAt.toISOString(),
    receipt: input.receipt,
    feeMinor: input.feeMinor,
    saleAccounts: input.saleAccounts ? `{${input.saleAccounts.join(',')}}` : null,
    grant: JSON.stringify(input.grant),
    events: input.eventsJson,
  });
  return result ? settledOf(result) : null;
}

function settledOf(result: SettleRow): Settled {
  return {
    row: decodeRow(purchases, result),
    settled: result.settle_settled,
    saleAccounts: result.settle_sale_accounts,
    events: result.settle_events,
  };
}

// Several successes in one statement and one commit (settle_purchases, drizzle/0018), each purchase in
// a subtransaction of its own.
const settleManyStatement = preparedSql(
  'purchases_settle_many',
  sql`select r.ordinal as settle_ordinal, r.error as settle_error, (r.purchase).*, r.settled as settle_settled,
      r.sale_accounts as settle_sale_accounts, r.events as settle_events
    from settle_purchases(${sql.placeholder('batch')}::jsonb) as r`,
);

interface SettleManyRow extends SettleRow {
  readonly settle_ordinal: number;
  readonly settle_error: string | null;
}

/** One purchase of a batch could not settle (its subtransaction was rolled back; the others were not). */
export class SettleError extends Error {
  constructor(purchaseId: string, reason: string) {
    super(`settling purchase ${purchaseId} failed: ${reason}`);
    this.name = 'SettleError';
  }
}

/**
 * (Reached only through `settlePurchase`; exported for its tests.)
 * Settles several successes as one statement and one commit, each with its own outcome in the order
 * given: what settling it alone answers, or a SettleError when its part failed (nothing of it written).
 * Throws when the statement as a whole failed.
 */
export async function settlePurchaseBatch(
  db: Executor,
  inputs: readonly SettleInput[],
): Promise<(Settled | null | SettleError)[]> {
  const batch = inputs.map((input) => ({
    purchaseId: input.purchaseId,
    acquirerChargeId: input.acquirerChargeId,
    succeededAt: input.succeededAt.toISOString(),
    receipt: input.receipt,
    feeMinor: input.feeMinor,
    saleAccounts: input.saleAccounts,
    grant: input.grant,
    events: JSON.parse(input.eventsJson) as unknown,
  }));
  const rows = await settleManyStatement.execute<SettleManyRow>(db, { batch: JSON.stringify(batch) });
  const byOrdinal = new Map(rows.map((row) => [row.settle_ordinal, row]));
  return inputs.map((input, i) => {
    const row = byOrdinal.get(i + 1);
    if (!row) return new SettleError(input.purchaseId, 'no answer from its batch');
    if (row.settle_error !== null) return new SettleError(input.purchaseId, row.settle_error);
    return row.id === null || row.id === undefined ? null : settledOf(row);
  });
}

// Opportunistic group commit (issue 18, item 2; shared/group-commit.ts): at most 4 settlements run at
// once per database; a success that arrives while they are all busy waits for the next free one and
// goes with every other that queued meanwhile, as one statement and one commit. Alone, a success goes
// at once as its own statement: no added wait when the server is idle. Several in flight rather than
// one, so that a settlement waiting on a row lock (recovery settling the same purchase) does not hold
// every other back.
/**
 * The one way a success reaches the database (from `succeedPurchase`, behind `settleOutcome`), but
 * for a wallet purchase's request, which calls settle_purchase inside wallet_purchase.
 * Settles one success through its database's queue: at once when a slot is free, otherwise with the
 * others that wait for the next one. Each purchase gets its own outcome; one that fails fails alone.
 * Null when the purchase does not exist.
 */
export const settlePurchase = groupCommit<Executor, SettleInput, Settled | null>({
  maxInFlight: 4,
  maxBatch: 64,
  alone: settlePurchaseStatement,
  together: settlePurchaseBatch,
});
