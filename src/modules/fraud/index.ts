// The fraud module: velocity rules before a card is charged or added, per-game thresholds, operator blocks and the risk log.
export { assessPurchase, type AssessPurchaseInput, type PurchaseAssessment } from './assess-purchase.js';
export {
  PAID_STATUSES,
  purchaseChecksFrom,
  type PurchaseChecks,
  type PurchaseChecksRow,
} from './purchase-checks.js';
export { assessCardAdd, type AssessCardAddInput } from './assess-card-add.js';
export {
  recordDecline,
  releasePurchaseAmount,
  type RecordDeclineInput,
  type DeclineOutcome,
} from './record-decline.js';
export {
  riskFromAcquirer,
  combineRisk,
  RULES,
  type RiskAssessment,
  type RiskDecision,
  type RiskRuleHit,
  type RiskRuleName,
} from './rules.js';
export {
  recordRiskEvent,
  riskEventRecord,
  listRiskEvents,
  getRiskEventsByIds,
  type RiskEventInput,
  type RiskEventFilter,
  type RiskEventPage,
  type RiskEventRow,
} from './risk-events.js';
export {
  blockPlayer,
  unblockPlayer,
  blockCardFingerprint,
  unblockCardFingerprint,
  requireOperator,
  blockPlayerInput,
  cardFingerprintBlockInput,
  cardFingerprintUnblockInput,
  type BlockPlayerInput,
  type CardFingerprintBlockInput,
  type PlayerBlockRow,
  type CardFingerprintBlockRow,
} from './blocks.js';
export {
  updateRiskSettings,
  updateRiskSettingsInput,
  getRiskSettings,
  type UpdateRiskSettingsInput,
} from './update-risk-settings.js';
export {
  PLATFORM_RISK_DEFAULTS,
  RISK_BOUNDS,
  RISK_THRESHOLD_NAMES,
  MONEY_LOOSEN_FACTOR,
  CARDS_PER_PLAYER_REFUSE_AT,
  amountsByCurrency,
  platformDailyCap,
  platformNewCardAmount,
  type EffectiveRiskSettings,
  type RiskThresholds,
  type RiskThresholdName,
} from './settings.js';
