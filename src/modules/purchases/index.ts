// The purchases module: the one-tap purchase, its state machine, charging in three atomic phases, recovery.
export { createPurchase, createPurchaseInput, type CreatePurchaseInput } from './create-purchase.js';
export { confirmPurchase, confirmPurchaseInput, type ConfirmPurchaseInput } from './confirm-purchase.js';
export { cancelPurchase, cancelPurchaseInput, type CancelPurchaseInput } from './cancel-purchase.js';
export { recoverPurchases, expirePurchases } from './background.js';
export { SETTLEMENT_FAILED } from './settlement-failure.js';
export {
  getPurchase,
  getPurchasesByIds,
  listPlayerPurchases,
  listFailedSettlements,
  listPurchases,
  type PurchaseFilter,
} from './get-purchases.js';
export { canReadPurchase, visibleCardId, visibleFee, visibleRisk, type RiskRuleView, type RiskView } from './access.js';
export { findPurchase, updateIfStatus, priceOf, type PurchaseRow } from './purchase-row.js';
export { purchaseIdOfChargeKey } from './acquirer-calls.js';
export { purchaseEventData, enqueuePurchaseEvent } from './purchase-events.js';
export { purchaseStatuses, type PurchaseStatus } from '../../db/schema/purchases.js';
export { TRANSITIONS, canTransition, assertTransition, COUNTED_STATUSES, AWAITING_STATUSES } from './purchase-state.js';
export {
  reserveRefund,
  releaseRefund,
  completeRefund,
  remaining,
  refundable,
  refundedSoFar,
  REFUNDABLE_STATUSES,
} from './refund-reservation.js';
