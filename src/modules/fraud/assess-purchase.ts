import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../shared/errors.js';
import {
  DECLINE_POINTS,
  purchaseSubjectBlocks,
  type PurchaseVelocityLimits,
  type PurchaseVelocityResult,
  type VelocityCounter,
} from '../../shared/velocity-port.js';
import type { ServiceContext } from '../service-context.js';
import { counted } from './count-decision.js';
import { decide, RULES, type FiredRule, type RiskAssessment } from './rules.js';
import { loadPurchaseChecks, type PurchaseChecks } from './purchase-checks.js';
import { ADDRESS_DECLINE_POINTS_AT, type EffectiveRiskSettings } from './settings.js';
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
  /**
   * The blocks and settings when the caller already read them (createPurchase reads them with the
   * purchase's other context in one statement); read here when omitted.
   */
  readonly checks?: PurchaseChecks;
}

/** The decision, plus the card's fingerprint so that recordRiskEvent({...assessment}) keeps it for operators. */
export interface PurchaseAssessment extends RiskAssessment {
  readonly cardFingerprint: string | null;
}

/**
 * Decides whether a card may be charged: operator blocks and whether the card paid before (database,
 * one query), then the velocity counters (the card's, address's and device's, then the player's in
 * one atomic call that also counts the purchase unless it is blocked). ALLOW charges,
 * STEP_UP asks for the CVC, BLOCK charges nothing. Redis unreachable → ServiceUnavailableError
 * (fail closed: the caller charges nothing).
 */
export async function assessPurchase(ctx: ServiceContext, input: AssessPurchaseInput): Promise<PurchaseAssessment> {
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor < 0)
    throw ValidationError.field('amountMinor', 'must be a non-negative integer');
  const { db, config, clock, velocityStore } = ctx.deps;
  const fingerprint = input.cardFingerprint || null;
  const { settings, blocks, cardHasPaid } =
    input.checks ??
    (await loadPurchaseChecks(db, config, {
      gameId: input.gameId,
      playerId: input.playerId,
      fingerprint,
    }));
  if (blocks.player || blocks.card) {
    // an operator's block needs no counting: nothing happens for this player or card
    const fired: FiredRule[] = [];
    if (blocks.player)
      fired.push({ rule: RULES.playerBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    if (blocks.card)
      fired.push({ rule: RULES.cardBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    return counted(ctx, { ...decide(fired, 1), cardFingerprint: fingerprint });
  }

  const now = clock.now().getTime();
  const velocity = await velocityStore.evaluate({
    nowMs: now,
    playerId: input.playerId,
    attemptId: input.purchaseId || randomUUID(),
    amountMinor: input.amountMinor,
    currency: input.currency,
    cardFingerprint: fingerprint,
    cardHasPaid,
    ip: normalizeIp(input.ip),
    deviceId: normalizeDeviceId(input.deviceId),
    limits: purchaseVelocityLimits(settings, input.currency),
  });
  const { fired, utilization } = purchaseRules(
    velocity,
    settings,
    { ...input, cardFingerprint: fingerprint },
    now,
    cardHasPaid,
  );
  return counted(ctx, { ...decide(fired, utilization), cardFingerprint: fingerprint });
}

/** The velocity store's thresholds from a game's effective settings. */
export function purchaseVelocityLimits(settings: EffectiveRiskSettings, currency: string): PurchaseVelocityLimits {
  const t = settings.thresholds;
  return {
    purchasesPerMinute: t.purchasesPerMinute,
    purchasesPerHour: t.purchasesPerHour,
    dailyAmountCap: settings.dailyAmountCap(currency),
    declinesToBlock: t.declinesToBlock,
    declineBlockMs: t.declineBlockSeconds * 1000,
    playersPerCardBlockAt: t.playersPerCardBlockAt,
    cardsPerIpSignalAt: t.cardsPerIpBlockAt,
    cardsPerDeviceBlockAt: t.cardsPerDeviceBlockAt,
    addressDeclinePointsAt: ADDRESS_DECLINE_POINTS_AT,
  };
}

/**
 * The rules that fired for the counters the store reported, and how close the nearest limit came.
 * The player's own counters block; the card's, the device's and the address's never touch a card
 * that already paid, and the address only ever asks for the CVC.
 */
export function purchaseRules(
  v: PurchaseVelocityResult,
  settings: EffectiveRiskSettings,
  input: Pick<
    AssessPurchaseInput,
    'cardFingerprint' | 'cardAddedAt' | 'isFirstChargeOnCard' | 'amountMinor' | 'currency'
  >,
  now: number,
  cardHasPaid: boolean,
): { fired: FiredRule[]; utilization: number } {
  const t = settings.thresholds;
  const limits = purchaseVelocityLimits(settings, input.currency);
  const cap = limits.dailyAmountCap;
  const fired: FiredRule[] = [];
  const ratios: number[] = [];
  const over = (rule: FiredRule['rule'], value: number, max: number, retryAfterMs: number | null) => {
    ratios.push(value / max);
    if (value > max) fired.push({ rule, value, threshold: max, effect: 'BLOCK', retryAfterMs });
  };
  const hit = (
    effect: FiredRule['effect'],
    rule: FiredRule['rule'],
    counter: VelocityCounter,
    threshold: number,
    fires: boolean,
  ) => {
    ratios.push(counter.value / threshold);
    if (fires)
      fired.push({
        rule,
        value: counter.value,
        threshold,
        effect,
        retryAfterMs: effect === 'BLOCK' ? counter.retryAfterMs : null,
      });
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
    ratios.push(v.declinePoints / (t.declinesToBlock * DECLINE_POINTS.bank));
  }
  over(RULES.purchasesPerMinute, v.purchasesLastMinute.value, t.purchasesPerMinute, v.purchasesLastMinute.retryAfterMs);
  over(RULES.purchasesPerHour, v.purchasesLastHour.value, t.purchasesPerHour, v.purchasesLastHour.retryAfterMs);
  if (cap < Number.MAX_SAFE_INTEGER) over(RULES.dailyAmount, v.amountLastDay.value, cap, v.amountLastDay.retryAfterMs);
  if (input.cardFingerprint && !cardHasPaid) {
    // a card that already paid is exempt: sharing an address, a device or a card is no evidence against it
    const blocks = purchaseSubjectBlocks(v, limits, cardHasPaid);
    hit('BLOCK', RULES.playersPerCard, v.playersOnCard, t.playersPerCardBlockAt, blocks.playersOnCard);
    if (v.cardsOnDevice.value > 0)
      hit('BLOCK', RULES.cardsPerDevice, v.cardsOnDevice, t.cardsPerDeviceBlockAt, blocks.cardsOnDevice);
    if (v.cardsOnIp.value > 0)
      hit('STEP_UP', RULES.cardsPerIp, v.cardsOnIp, t.cardsPerIpBlockAt, v.cardsOnIp.value >= t.cardsPerIpBlockAt);
    if (v.addressDeclinePoints.value > 0)
      hit(
        'STEP_UP',
        RULES.addressCardTesting,
        v.addressDeclinePoints,
        ADDRESS_DECLINE_POINTS_AT,
        v.addressDeclinePoints.value >= ADDRESS_DECLINE_POINTS_AT,
      );
  }
  if (v.blocked && !fired.some((r) => r.effect === 'BLOCK')) {
    // the store refused with thresholds of its own reading; never let that through
    throw new Error('velocity store blocked a purchase that no rule explains');
  }
  const firstCharge = input.isFirstChargeOnCard ?? v.firstChargeOnCard;
  if (input.cardFingerprint && firstCharge && !cardHasPaid) {
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
