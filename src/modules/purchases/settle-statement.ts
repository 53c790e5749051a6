import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { decodeRow, preparedSql } from '../../db/prepared.js';
import { purchases } from '../../db/schema/index.js';
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

/** Runs settle_purchase in its own implicit transaction; null when the purchase does not exist. */
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
  if (!result) return null;
  return {
    row: decodeRow(purchases, result),
    settled: result.settle_settled,
    saleAccounts: result.settle_sale_accounts,
    events: result.settle_events,
  };
}
