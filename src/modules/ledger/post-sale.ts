import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
import { splitFee } from '../../shared/money.js';
import { assertPositiveAmount, legsByKind } from './post.js';

export interface PostSaleInput {
  readonly purchaseId: string;
  readonly gameId: string;
  /** What the card was charged, in minor units. */
  readonly amountMinor: number;
  readonly currency: string;
  /** The game's platform fee in basis points (0..10000). */
  readonly feeBps: number;
}

export interface PostSaleResult {
  readonly feeMinor: number;
  readonly netMinor: number;
  readonly transactionId: string;
  /** The sale was already posted (a retried fulfilment): the figures are the ones recorded then. */
  readonly duplicate: boolean;
}

/** The fee of a card sale of `amountMinor` at `feeBps`, checked: what a sale's posting splits off. */
export function saleFee(amountMinor: number, feeBps: number): { fee: number; net: number } {
  assertPositiveAmount('amountMinor', amountMinor);
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000)
    throw new RangeError(`feeBps must be 0..10000, got ${feeBps}`);
  return splitFee(amountMinor, feeBps);
}

// The posting itself is the SQL function ledger_post_sale (drizzle/0016), which settle_purchase calls too.
const postSaleStatement = preparedSql(
  'ledger_post_sale',
  sql`select posting_id, posted from ledger_post_sale(${sql.placeholder('gameId')}::uuid, ${sql.placeholder('purchaseId')}::uuid,
    ${sql.placeholder('currency')}::text, ${sql.placeholder('amountMinor')}::bigint, ${sql.placeholder('feeMinor')}::bigint, null)`,
);

/**
 * Posts a card sale of A with fee F = splitFee(A, feeBps): debit acquirer_receivable A, credit
 * game_payable A−F, credit platform_revenue F. Once per purchase; a repeat returns the first posting.
 */
export async function postSale(tx: Executor, input: PostSaleInput): Promise<PostSaleResult> {
  const { fee, net } = saleFee(input.amountMinor, input.feeBps);
  const [row] = await postSaleStatement.execute<{ posting_id: string; posted: boolean }>(tx, {
    gameId: input.gameId,
    purchaseId: input.purchaseId,
    currency: input.currency,
    amountMinor: input.amountMinor,
    feeMinor: fee,
  });
  if (!row) throw new Error(`the sale of purchase ${input.purchaseId} was not posted`);
  if (row.posted) return { feeMinor: fee, netMinor: net, transactionId: row.posting_id, duplicate: false };
  const legs = await legsByKind(tx, row.posting_id);
  return {
    feeMinor: -(legs.get('platform_revenue') ?? 0),
    netMinor: -(legs.get('game_payable') ?? 0),
    transactionId: row.posting_id,
    duplicate: true,
  };
}
