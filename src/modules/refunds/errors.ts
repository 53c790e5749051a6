import { DomainError } from '../../shared/errors.js';
import type { Money } from '../../shared/money.js';

/** A refund for more than is left of the purchase (paid − refunded or reserved − disputed); nothing was reserved. */
export class RefundExceedsRemainingError extends DomainError {
  readonly code = 'REFUND_EXCEEDS_REMAINING';
  constructor(
    /** What may still be refunded. */
    readonly remaining: Money,
  ) {
    super(
      remaining.amountMinor === 0
        ? 'Nothing is left to refund on this purchase.'
        : `Only ${remaining.amountMinor} minor units of this purchase are left to refund.`,
    );
  }
}

/** The acquirer refused the refund itself (e.g. amount_exceeds_refundable): the refund failed and its amount is refundable again. */
export class RefundRejectedError extends DomainError {
  readonly code = 'REFUND_REJECTED';
  constructor(
    /** The acquirer's code. */
    readonly acquirerCode: string,
    readonly refundId: string,
  ) {
    super(`The acquirer refused the refund (${acquirerCode}).`);
  }
}
