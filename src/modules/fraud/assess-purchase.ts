import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../shared/errors.js';
import type { PurchaseVelocityResult } from '../../shared/velocity-port.js';
import type { ServiceContext } from '../service-context.js';
import { decide, RULES, type FiredRule, type RiskAssessment } from './rules.js';
import { loadPurchaseChecks } from './purchase-checks.js';
import type { EffectiveRiskSettings } from './settings.js';
import { normalizeDeviceId, normalizeIp } from './subjects.js';

export interface AssessPurchaseInput {
  readonly gameId: string;
  readonly playerId: string;
  /**
   * The purchase's id. Pass it whenever it is known: the same purchase assessed again (one tap,
   * then confirmation) is then counted once and keeps its "first charge on the card" status.
   */
  readonly purchaseId?: string | null;
  readonly cardId?: string | null;
  /** The card's keyed fingerprint; null when no card is charged. */
  readonly cardFingerprint: string | null;
  /** When the player added the card. */
  readonly cardAddedAt: Date | null;
  /** Whether this is the first charge on the card; when omitted the velocity store knows it. */
  readonly isFirstChargeOnCard?: boolean | null;
  readonly amountMinor: number;
  readonly currency: string;
  readonly ip: string | null;
  readonly deviceId: string | null;
}

/** The decision, plus the card's fingerprint so that recordRiskEvent({...assessment}) keeps it for operators. */
export interface PurchaseAssessment extends RiskAssessment {
  readonly cardFingerprint: string | null;
}

/**
 * Decides whether a card may be charged: operator blocks (database), then every velocity counter
 * in one atomic Redis call that also counts the purchase unless it is blocked. ALLOW charges,
 * STEP_UP asks for the CVC, BLOCK charges nothing. Redis unreachable → ServiceUnavailableError
 * (fail closed: the caller charges nothing).
 */
export async function assessPurchase(ctx: ServiceContext, input: AssessPurchaseInput): Promise<PurchaseAssessment> {
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor < 0)
    throw ValidationError.field('amountMinor', 'must be a non-negative integer');
  const { db, config, clock, velocityStore } = ctx.deps;
  const fingerprint = input.cardFingerprint || null;
  const { settings, blocks } = await loadPurchaseChecks(db, config, {
    gameId: input.gameId,
    playerId: input.playerId,
    fingerprint,
  });
  if (blocks.player || blocks.card) {
    // an operator's block needs no counting: nothing happens for this player or card
    const fired: FiredRule[] = [];
    if (blocks.player)
      fired.push({ rule: RULES.playerBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    if (blocks.card)
      fired.push({ rule: RULES.cardBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    return { ...decide(fired, 1), cardFingerprint: fingerprint };
  }

  const now = clock.now().getTime();
  const t = settings.thresholds;
  const cap = settings.dailyAmountCap(input.currency);
  const velocity = await velocityStore.evaluate({
    nowMs: now,
    playerId: input.playerId,
    attemptId: input.purchaseId || randomUUID(),
    amountMinor: input.amountMinor,
    currency: input.currency,
    cardFingerprint: fingerprint,
    ip: normalizeIp(input.ip),
    deviceId: normalizeDeviceId(input.deviceId),
    limits: {
      purchasesPerMinute: t.purchasesPerMinute,
      purchasesPerHour: t.purchasesPerHour,
      dailyAmountCap: cap,
      declinesToBlock: t.declinesToBlock,
      declineBlockMs: t.declineBlockSeconds * 1000,
      playersPerCardBlockAt: t.playersPerCardBlockAt,
      cardsPerIpBlockAt: t.cardsPerIpBlockAt,
      cardsPerDeviceBlockAt: t.cardsPerDeviceBlockAt,
    },
  });
  const { fired, utilization } = purchaseRules(velocity, settings, input, now);
  return { ...decide(fired, utilization), cardFingerprint: fingerprint };
}

/** The rules that fired for the counters the store reported, and how close the nearest limit came. */
function purchaseRules(
  v: PurchaseVelocityResult,
  settings: EffectiveRiskSettings,
  input: AssessPurchaseInput,
  now: number,
): { fired: FiredRule[]; utilization: number } {
  const t = settings.thresholds;
  const cap = settings.dailyAmountCap(input.currency);
  const fired: FiredRule[] = [];
  const ratios: number[] = [];
  const over = (rule: FiredRule['rule'], value: number, max: number, retryAfterMs: number | null) => {
    ratios.push(value / max);
    if (value > max) fired.push({ rule, value, threshold: max, effect: 'BLOCK', retryAfterMs });
  };
  const at = (rule: FiredRule['rule'], value: number, threshold: number, retryAfterMs: number | null) => {
    ratios.push(value / threshold);
    if (value >= threshold) fired.push({ rule, value, threshold, effect: 'BLOCK', retryAfterMs });
  };

  if (v.declineBlockUntilMs !== null) {
    fired.push({
      rule: RULES.declinesPerHour,
      value: v.declinesLastHour,
      threshold: t.declinesToBlock,
      effect: 'BLOCK',
      retryAfterMs: v.declineBlockUntilMs - now,
    });
  } else {
    ratios.push(v.declinesLastHour / t.declinesToBlock);
  }
  over(RULES.purchasesPerMinute, v.purchasesLastMinute.value, t.purchasesPerMinute, v.purchasesLastMinute.retryAfterMs);
  over(RULES.purchasesPerHour, v.purchasesLastHour.value, t.purchasesPerHour, v.purchasesLastHour.retryAfterMs);
  if (cap < Number.MAX_SAFE_INTEGER) over(RULES.dailyAmount, v.amountLastDay.value, cap, v.amountLastDay.retryAfterMs);
  if (input.cardFingerprint) {
    at(RULES.playersPerCard, v.playersOnCard.value, t.playersPerCardBlockAt, v.playersOnCard.retryAfterMs);
    if (v.cardsOnIp.value > 0) at(RULES.cardsPerIp, v.cardsOnIp.value, t.cardsPerIpBlockAt, v.cardsOnIp.retryAfterMs);
    if (v.cardsOnDevice.value > 0)
      at(RULES.cardsPerDevice, v.cardsOnDevice.value, t.cardsPerDeviceBlockAt, v.cardsOnDevice.retryAfterMs);
  }
  if (v.blocked && !fired.some((r) => r.effect === 'BLOCK')) {
    // the store refused with thresholds of its own reading; never let that through
    throw new Error('velocity store blocked a purchase that no rule explains');
  }

  const firstCharge = input.isFirstChargeOnCard ?? v.firstChargeOnCard;
  if (input.cardFingerprint && firstCharge) {
    if (v.cardAddRank !== null && v.cardAddRank >= t.cardsStepUpAt) {
      fired.push({
        rule: RULES.cardsPerPlayer,
        value: v.cardAddRank,
        threshold: t.cardsStepUpAt,
        effect: 'STEP_UP',
        retryAfterMs: null,
      });
    }
    const newCardAmount = settings.newCardStepUpAmount(input.currency);
    const age = input.cardAddedAt ? now - input.cardAddedAt.getTime() : Number.POSITIVE_INFINITY;
    if (age < t.newCardAgeSeconds * 1000 && input.amountMinor > newCardAmount) {
      fired.push({
        rule: RULES.newCardLargeFirstCharge,
        value: input.amountMinor,
        threshold: newCardAmount,
        effect: 'STEP_UP',
        retryAfterMs: null,
      });
    }
  }
  return { fired, utilization: Math.max(0, ...ratios) };
}
