// Business metrics: what modules count, behind a port (the adapter is prom-client, src/http/metrics.ts).
// Labels are small fixed vocabularies (statuses, codes, rule names, outcomes), never ids or amounts;
// the adapter folds any value it has not seen among its first few dozen into "other".

/** delivered; failed (retried later); gave_up (failed for good); no_endpoint (the game has no URL now). */
export type WebhookDeliveryOutcome = 'delivered' | 'failed' | 'gave_up' | 'no_endpoint';

export interface BusinessMetrics {
  /** A purchase reached `status` (SUCCEEDED, FAILED, CANCELED…) on its path (one_tap, confirmation, wallet). */
  purchase(status: string, path: string): void;
  /** One acquirer charge call took `seconds`; outcome approved, declined, requires_action or error. */
  chargeLatency(seconds: number, outcome: string): void;
  /** A purchase failed with this decline code (insufficient_funds, risk_blocked…). */
  decline(code: string): void;
  /** A refund ended (succeeded, failed) or started (pending). */
  refund(outcome: string): void;
  /** A dispute was recorded (opened, won, lost…). */
  dispute(outcome: string): void;
  /** A webhook delivery attempt ended; `lagSeconds` from the event's creation to this attempt. */
  webhookDelivery(outcome: WebhookDeliveryOutcome, lagSeconds: number): void;
  /** The idempotency layer replayed a stored answer, refused a reused key, or met one in progress. */
  idempotency(outcome: 'replayed' | 'key_reused' | 'in_progress'): void;
  /** A fraud decision (ALLOW, STEP_UP, BLOCK), once per rule that fired, or with rule "none". */
  fraudDecision(decision: string, rule: string): void;
  /** The recovery loops finished something: kind purchase or refund, action succeeded, failed, voided… */
  recovery(kind: string, action: string): void;
  /** A GraphQL answer carried an error with this code, typed result or top-level. */
  graphqlError(code: string): void;
}

/** Counts nothing: for code run without an app (scripts, unit tests of a module). */
export const NO_METRICS: BusinessMetrics = {
  purchase: () => {},
  chargeLatency: () => {},
  decline: () => {},
  refund: () => {},
  dispute: () => {},
  webhookDelivery: () => {},
  idempotency: () => {},
  fraudDecision: () => {},
  recovery: () => {},
  graphqlError: () => {},
};
