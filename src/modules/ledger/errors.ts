import { DomainError } from '../../shared/errors.js';

/** A refund or dispute that would take back more of a sale than is left of it; nothing is posted. */
export class ReversalExceedsSaleError extends DomainError {
  readonly code = 'REVERSAL_EXCEEDS_SALE';
  constructor(
    readonly purchaseId: string,
    /** What may still be refunded or disputed, in the sale's minor units. */
    readonly remainingMinor: number,
  ) {
    super(`Only ${remainingMinor} minor units of this purchase are left to refund.`);
  }
}
