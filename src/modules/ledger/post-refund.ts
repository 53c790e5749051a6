import type { Executor } from '../../db/client.js';
import { reverseSale, type SaleReversalResult } from './reverse-sale.js';

export interface PostRefundInput {
  readonly purchaseId: string;
  readonly refundId: string;
  readonly gameId: string;
  readonly refundMinor: number;
  readonly currency: string;
  readonly saleAmountMinor: number;
  readonly saleFeeMinor: number;
  readonly at?: Date;
}

/**
 * Posts a (partial) refund: reverses its share of fee and net, cumulatively rounded so that all
 * refunds and disputes of a purchase together never return more than the sale and a full refund
 * returns exactly its fee and net. Once per refund id. Throws ReversalExceedsSaleError past the sale.
 */
export function postRefund(tx: Executor, input: PostRefundInput): Promise<SaleReversalResult> {
  const { refundId, refundMinor, ...sale } = input;
  return reverseSale(tx, 'refund', { refundId }, { ...sale, amountMinor: refundMinor });
}
