import type { AcquirerRisk } from '../../shared/acquirer-port.js';

export type RiskDecision = 'ALLOW' | 'STEP_UP' | 'BLOCK';

/** One rule that fired: the value it saw (this attempt included) and the threshold it compares with. */
export interface RiskRuleHit {
  readonly rule: RiskRuleName;
  readonly value: number;
  readonly threshold: number;
}

/** A risk decision, stored on the purchase and in risk_events. */
export interface RiskAssessment {
  readonly decision: RiskDecision;
  /** 0–100: ALLOW 0–39 (how close the counters are to a limit), STEP_UP 50–79, BLOCK 80–100. */
  readonly score: number;
  readonly rulesFired: RiskRuleHit[];
  /** When a BLOCK lifts (seconds, at least 1); null for ALLOW and STEP_UP, and when waiting cannot help. */
  readonly retryAfterSeconds: number | null;
}

/**
 * Rule names as they appear in rulesFired. "over" rules fire when value > threshold (a maximum);
 * "at" rules fire when value >= threshold.
 */
export const RULES = {
  /** BLOCK: an operator blocked the player (value 1, threshold 1). */
  playerBlocked: 'player_blocked',
  /** BLOCK: an operator blocked the card fingerprint. */
  cardBlocked: 'card_blocked',
  /** BLOCK (over): purchases of the player in the last minute. */
  purchasesPerMinute: 'purchases_per_minute',
  /** BLOCK (over): purchases of the player in the last hour. */
  purchasesPerHour: 'purchases_per_hour',
  /** BLOCK (over): amount of the player in the currency in the last 24 hours (minor units). */
  dailyAmount: 'daily_amount',
  /**
   * BLOCK: the player is locked out for declines (value: declines in the last hour; threshold:
   * declinesToBlock bank declines, a mistyped CVC weighing half). Lock-outs escalate within 24 hours:
   * 5 minutes, 15, 45… up to declineBlockSeconds.
   */
  declinesPerHour: 'declines_per_hour',
  /** STEP_UP (at) on a card's first charge: the rank the card was added with among the player's cards of 24 hours; at card add: refused (at). */
  cardsPerPlayer: 'cards_per_player',
  /** BLOCK (at) of a card that has not paid yet: distinct players who used the card in 24 hours. */
  playersPerCard: 'players_per_card',
  /** STEP_UP (at) on a card that has not paid yet: distinct cards from the address in an hour (never a block). */
  cardsPerIp: 'cards_per_ip',
  /** BLOCK (at) of a card that has not paid yet, at card add and at purchase: distinct cards from the device in an hour. */
  cardsPerDevice: 'cards_per_device',
  /**
   * Declined cards from the address within 15 minutes, in points (bank decline 2, mistyped CVC 1):
   * BLOCK of a new card added by a player without a paid card; STEP_UP on a card that has not paid yet.
   */
  addressCardTesting: 'address_card_testing',
  /** STEP_UP (over): the first charge on a card added less than newCardAgeSeconds ago, by its amount. */
  newCardLargeFirstCharge: 'new_card_large_first_charge',
  /** STEP_UP: the acquirer marked the charge elevated risk. */
  acquirerElevatedRisk: 'acquirer_elevated_risk',
  /** BLOCK: the acquirer marked the charge highest risk (the charge is voided). */
  acquirerHighestRisk: 'acquirer_highest_risk',
} as const;

export type RiskRuleName = (typeof RULES)[keyof typeof RULES];

/** A rule that fired, with the ms until it lifts (null: waiting cannot help; STEP_UP rules: null). */
export interface FiredRule extends RiskRuleHit {
  readonly effect: 'BLOCK' | 'STEP_UP';
  readonly retryAfterMs: number | null;
}

const SEVERITY: Record<RiskDecision, number> = { ALLOW: 0, STEP_UP: 1, BLOCK: 2 };

/**
 * Turns the fired rules into a decision. `utilization` (0–1) is how close the nearest counter came
 * to its limit, which grades an ALLOW.
 */
export function decide(fired: readonly FiredRule[], utilization: number): RiskAssessment {
  const blocks = fired.filter((r) => r.effect === 'BLOCK');
  const stepUps = fired.filter((r) => r.effect === 'STEP_UP');
  const rulesFired = fired.map(({ rule, value, threshold }) => ({ rule, value, threshold }));
  if (blocks.length > 0) {
    const operator = blocks.some(
      (r) => r.rule === RULES.playerBlocked || r.rule === RULES.cardBlocked || r.rule === RULES.acquirerHighestRisk,
    );
    const waits = blocks.map((r) => r.retryAfterMs);
    const retryAfterSeconds = waits.some((w) => w === null)
      ? null
      : Math.max(1, Math.ceil(Math.max(...(waits as number[])) / 1000));
    return {
      decision: 'BLOCK',
      score: operator ? 100 : Math.min(100, 80 + 5 * (fired.length - 1)),
      rulesFired,
      retryAfterSeconds,
    };
  }
  if (stepUps.length > 0) {
    return {
      decision: 'STEP_UP',
      score: Math.min(79, 50 + 10 * (stepUps.length - 1) + Math.round(9 * clamp01(utilization))),
      rulesFired,
      retryAfterSeconds: null,
    };
  }
  return { decision: 'ALLOW', score: Math.round(39 * clamp01(utilization)), rulesFired, retryAfterSeconds: null };
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** The decision the acquirer's own risk flag asks for: highest → BLOCK (the charge is voided), elevated → STEP_UP. */
export function riskFromAcquirer(level: AcquirerRisk): RiskAssessment {
  if (level === 'highest') {
    return decide(
      [{ rule: RULES.acquirerHighestRisk, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null }],
      1,
    );
  }
  if (level === 'elevated') {
    return decide(
      [{ rule: RULES.acquirerElevatedRisk, value: 1, threshold: 1, effect: 'STEP_UP', retryAfterMs: null }],
      0,
    );
  }
  return decide([], 0);
}

/** Combines two assessments of one purchase (e.g. ours before the charge and the acquirer's after it): the stricter wins. */
export function combineRisk(first: RiskAssessment, second: RiskAssessment): RiskAssessment {
  const [stricter, other] = SEVERITY[second.decision] > SEVERITY[first.decision] ? [second, first] : [first, second];
  const seen = new Set(stricter.rulesFired.map((r) => r.rule));
  return {
    decision: stricter.decision,
    score: Math.max(first.score, second.score),
    rulesFired: [...stricter.rulesFired, ...other.rulesFired.filter((r) => !seen.has(r.rule))],
    retryAfterSeconds: stricter.decision === 'BLOCK' ? stricter.retryAfterSeconds : null,
  };
}
