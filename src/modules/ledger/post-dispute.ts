import type { Executor } from '../../db/client.js';
import { reverseSale, type SaleReversalResult } from './reverse-sale.js';

export interface PostDisputeInput {
  readonly purchaseId: string;
  readonly disputeId: string;
  readonly gameId: string;
  /** The amount the acquirer took back (at most what is left after refunds). */
  readonly disputedMinor: number;
  readonly currency: string;
  readonly saleAmountMinor: number;
  readonly saleFeeMinor: number;
  readonly at?: Date;
  /** What the posting is once per: the dispute id, or for a later addition to the dispute its own key. */
  readonly postingReference?: string;
}

/** Posts a dispute (chargeback): the same split as a refund of the disputed amount, kind 'dispute'. Once per posting reference. */
export function postDispute(tx: Executor, input: PostDisputeInput): Promise<SaleReversalResult> {
  const { disputeId, disputedMinor, postingReference, ...sale } = input;
  return reverseSale(
    tx,
    'dispute',
    { disputeId, ...(postingReference ? { postingReference } : {}) },
    { ...sale, amountMinor: disputedMinor },
  );
}
