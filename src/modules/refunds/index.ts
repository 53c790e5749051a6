// The refunds module: refunds of purchases (three atomic phases, recovery) and disputes reported by
// the acquirer (callback and poll). The entitlement goes back in proportion; the ledger books both.
export { refundPurchase, refundPurchaseInput, driveRefund, type RefundPurchaseInput } from './refund-purchase.js';
export { settleRefund, failRefund, type RefundOutcome } from './settle-refund.js';
export { statusAfterReversal } from './refund-rows.js';
export { recoverRefunds } from './recover-refunds.js';
export { recordDispute, type DisputeRecording } from './record-dispute.js';
export { pollDisputes } from './poll-disputes.js';
export { clawBack, shareOf, purchaseEntitlement, type Entitlement, type ClawbackResult } from './claw-back.js';
export {
  listRefunds,
  listDisputes,
  getRefundsByPurchaseIds,
  getDisputesByPurchaseIds,
  getRefundsByIds,
  getDisputesByIds,
  visibleFeeReturned,
  type RefundFilter,
  type RefundListFilter,
} from './get-refunds.js';
export { disputedTotal, refundedTotal, sumDisputed, type RefundRow, type DisputeRow } from './refund-rows.js';
export { RefundExceedsRemainingError, RefundRejectedError } from './errors.js';
export { refundStatuses, type RefundStatus } from '../../db/schema/index.js';
