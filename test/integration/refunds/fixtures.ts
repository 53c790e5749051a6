// GraphQL documents and helpers for refund and dispute tests.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { TestApp } from '../../helpers/test-app.js';
import { graphql } from '../../helpers/graphql.js';
import type { ServiceContext } from '../../../src/modules/service-context.js';

export const RefundFields = graphql(`
  fragment RefundFields on Refund @_unmask {
    id status amount { amount currency } feeReturned { amount currency } reason failureCode requestedBy createdAt completedAt
  }
`);
export const DisputeFields = graphql(`
  fragment DisputeFields on Dispute @_unmask {
    id amount { amount currency } claimedAmount { amount currency } feeReturned { amount currency } reason acquirerDisputeId raisedAt
  }
`);
export const RefundPurchaseFields = graphql(
  `
  fragment RefundPurchaseFields on Purchase @_unmask {
    id status refunded { amount currency } refundPending { amount currency } refundable { amount currency } disputed disputedAmount { amount currency }
    fee { amount currency } refunds { ...RefundFields } disputes { ...DisputeFields }
  }
`,
  [RefundFields, DisputeFields],
);
export const refundPurchaseDocument = graphql(
  `
  mutation RefundPurchase($input: RefundPurchaseInput!) {
    refundPurchase(input: $input) {
      __typename
      ... on RefundPurchasePayload { purchase { ...RefundPurchaseFields } refund { ...RefundFields } }
      ... on RefundExceedsRemaining { remaining { amount currency } }
      ... on RefundRejected { acquirerCode refundId }
      ... on Error { code message }
      ... on RetryableError { retryable retryAfterSeconds }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`,
  [RefundPurchaseFields, RefundFields],
);
export const purchaseRefundsDocument = graphql(
  `
  query PurchaseRefunds($id: ID!) { purchase(id: $id) { ...RefundPurchaseFields } }
`,
  [RefundPurchaseFields],
);
export const refundsDocument = graphql(
  `
  query Refunds($gameId: ID, $purchaseId: ID, $status: RefundStatus, $first: Int) {
    refunds(gameId: $gameId, purchaseId: $purchaseId, status: $status, first: $first) { edges { node { ...RefundFields purchase { id } } } }
  }
`,
  [RefundFields],
);
export const disputesDocument = graphql(
  `
  query Disputes($gameId: ID, $purchaseId: ID) {
    disputes(gameId: $gameId, purchaseId: $purchaseId) { edges { node { ...DisputeFields purchase { id status } } } }
  }
`,
  [DisputeFields],
);

/**
 * refundPurchase with the given credential; a fresh idempotency key unless given. Narrow
 * `data.refundPurchase` with `expectTypename` (test/helpers/graphql.ts) before reading a member.
 */
export function refund(
  app: TestApp,
  token: string,
  purchaseId: string,
  options: { amount?: string; currency?: string; reason?: string; key?: string } = {},
) {
  return app.gql(
    refundPurchaseDocument,
    {
      input: {
        purchaseId,
        reason: options.reason ?? 'customer request',
        idempotencyKey: options.key ?? randomUUID(),
        ...(options.amount !== undefined
          ? { amount: { amount: options.amount, currency: options.currency ?? 'USD' } }
          : {}),
      },
    },
    { token },
  );
}

/** An operator's service context, for driving module functions and background jobs by hand. */
export function operatorContext(app: TestApp): ServiceContext {
  return { deps: app.deps, principal: { kind: 'operator' }, requestId: 'test', ip: null };
}

async function rows<T>(app: TestApp, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await app.database.db.execute(query)) as unknown as { rows: T[] }).rows;
}

/** The outbox events written for a purchase, in order. */
export function outboxFor(app: TestApp, purchaseId: string) {
  return rows<{ type: string; payload: Record<string, any> }>(
    app,
    sql`select type, payload from outbox_events where aggregate_id = ${purchaseId} order by sequence`,
  );
}

/** The sandbox acquirer's refunds of a purchase's charges. */
export function acquirerRefundsFor(app: TestApp, purchaseId: string) {
  return rows<{ id: string; amount_minor: string; kind: string }>(
    app,
    sql`select r.id, r.amount_minor, r.kind from acquirer_refunds r join acquirer_charges c on c.id = r.charge_id
        where c.idempotency_key = ${purchaseId} or c.idempotency_key like ${`${purchaseId}:%`} order by r.created_at`,
  );
}

/** Sum of the legs of a purchase's ledger postings by transaction kind and account kind (signed, debit positive). */
export async function ledgerLegs(app: TestApp, purchaseId: string): Promise<Record<string, number>> {
  const list = await rows<{ tkind: string; akind: string; total: string }>(
    app,
    sql`select t.kind as tkind, a.kind as akind, sum(e.amount_minor)::bigint as total
        from ledger_transactions t join ledger_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
        where t.purchase_id = ${purchaseId} group by t.kind, a.kind`,
  );
  return Object.fromEntries(list.map((r) => [`${r.tkind}:${r.akind}`, Number(r.total)]));
}
