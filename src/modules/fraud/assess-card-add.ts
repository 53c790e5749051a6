import { RateLimitedError, RiskBlockedError, waitPhrase } from '../../shared/errors.js';
import {
  cardAddSubjectBlocks,
  DECLINE_POINTS,
  type CardAddVelocityLimits,
  type CardAddVelocityResult,
  type VelocityCounter,
} from '../../shared/velocity-port.js';
import type { ServiceContext } from '../service-context.js';
import { counted } from './count-decision.js';
import { activeBlocks } from './blocks.js';
import { recordRiskEvent } from './risk-events.js';
import { decide, RULES, type FiredRule, type RiskAssessment } from './rules.js';
import { playerHasPaid } from './purchase-checks.js';
import { ADDRESS_DECLINE_POINTS_AT, CARDS_PER_PLAYER_REFUSE_AT, PLATFORM_RISK_DEFAULTS } from './settings.js';
import { normalizeDeviceId, normalizeIp } from './subjects.js';

export interface AssessCardAddInput {
  readonly playerId: string;
  /** The keyed fingerprint of the card number (cards module's cardFingerprint). */
  readonly fingerprint: string;
  readonly ip: string | null;
  readonly deviceId: string | null;
}

/** The thresholds of a card add: the platform's (a card belongs to the player's account, not to a game). */
export const CARD_ADD_LIMITS: CardAddVelocityLimits = {
  cardsPerPlayerRefuseAt: CARDS_PER_PLAYER_REFUSE_AT,
  playersPerCardBlockAt: PLATFORM_RISK_DEFAULTS.playersPerCardBlockAt,
  cardsPerIpSignalAt: PLATFORM_RISK_DEFAULTS.cardsPerIpBlockAt,
  cardsPerDeviceBlockAt: PLATFORM_RISK_DEFAULTS.cardsPerDeviceBlockAt,
  addressDeclinePointsAt: ADDRESS_DECLINE_POINTS_AT,
  declinesToBlock: PLATFORM_RISK_DEFAULTS.declinesToBlock,
  declineBlockMs: PLATFORM_RISK_DEFAULTS.declineBlockSeconds * 1000,
};

/**
 * Checks a card the player is adding, before the acquirer sees it, and counts it: operator blocks,
 * the player's decline lock-out, the 6th distinct card in 24 hours, a card already used by 3
 * players, 5 distinct cards from one device within an hour, and, for a player who never paid with
 * a card, an address whose declined cards show card testing right now. Many cards from one address
 * alone refuse nothing (carrier-grade NAT puts thousands of players behind one). Every decision is
 * written to risk_events. Returns the ALLOW assessment; a refusal throws RateLimitedError (a limit
 * that lifts: too many cards) or RiskBlockedError, both with retryAfterSeconds where waiting helps.
 * Redis unreachable → ServiceUnavailableError.
 */
export async function assessCardAdd(ctx: ServiceContext, input: AssessCardAddInput): Promise<RiskAssessment> {
  const { db, clock, velocityStore } = ctx.deps;
  const at = clock.now();
  const [blocks, hasPaid] = await Promise.all([
    activeBlocks(db, input.playerId, input.fingerprint),
    playerHasPaid(db, input.playerId),
  ]);
  let assessment: RiskAssessment;
  if (blocks.player || blocks.card) {
    const fired: FiredRule[] = [];
    if (blocks.player)
      fired.push({ rule: RULES.playerBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    if (blocks.card)
      fired.push({ rule: RULES.cardBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    assessment = decide(fired, 1);
  } else {
    const velocity = await velocityStore.evaluateCardAdd({
      nowMs: at.getTime(),
      playerId: input.playerId,
      fingerprint: input.fingerprint,
      playerHasPaid: hasPaid,
      ip: normalizeIp(input.ip),
      deviceId: normalizeDeviceId(input.deviceId),
      limits: CARD_ADD_LIMITS,
    });
    const { fired, utilization } = cardAddRules(velocity, at.getTime(), hasPaid);
    assessment = decide(fired, utilization);
  }
  counted(ctx, assessment);
  await recordRiskEvent(db, {
    gameId: null,
    playerId: input.playerId,
    kind: 'card_add',
    ...assessment,
    cardFingerprint: input.fingerprint,
    at,
  });
  if (assessment.decision === 'BLOCK') throw refusal(assessment);
  return assessment;
}

/** The rules that fired for a card being added (the distinct cards of its address only grade the score). */
export function cardAddRules(
  v: CardAddVelocityResult,
  now: number,
  playerHasPaid: boolean,
): { fired: FiredRule[]; utilization: number } {
  const d = PLATFORM_RISK_DEFAULTS;
  const fired: FiredRule[] = [];
  const ratios: number[] = [v.cardsOnIp.value / d.cardsPerIpBlockAt];
  const blocks = cardAddSubjectBlocks(v, CARD_ADD_LIMITS, playerHasPaid);
  const at = (rule: FiredRule['rule'], counter: VelocityCounter, threshold: number, fires: boolean) => {
    ratios.push(counter.value / threshold);
    if (fires)
      fired.push({ rule, value: counter.value, threshold, effect: 'BLOCK', retryAfterMs: counter.retryAfterMs });
  };
  if (v.declineBlockUntilMs !== null) {
    fired.push({
      rule: RULES.declinesPerHour,
      value: v.declinesLastHour,
      threshold: d.declinesToBlock,
      effect: 'BLOCK',
      retryAfterMs: v.declineBlockUntilMs - now,
    });
  } else {
    ratios.push(v.declinePoints / (d.declinesToBlock * DECLINE_POINTS.bank));
  }
  // only allowed cards are counted, so a card added again never reaches the refusal count
  at(
    RULES.cardsPerPlayer,
    v.cardsOfPlayer,
    CARDS_PER_PLAYER_REFUSE_AT,
    v.cardsOfPlayer.value >= CARDS_PER_PLAYER_REFUSE_AT,
  );
  at(RULES.playersPerCard, v.playersOnCard, d.playersPerCardBlockAt, blocks.playersOnCard);
  if (v.cardsOnDevice.value > 0)
    at(RULES.cardsPerDevice, v.cardsOnDevice, d.cardsPerDeviceBlockAt, blocks.cardsOnDevice);
  if (!playerHasPaid && v.addressDeclinePoints.value > 0)
    at(RULES.addressCardTesting, v.addressDeclinePoints, ADDRESS_DECLINE_POINTS_AT, blocks.addressDeclines);
  if (v.blocked && !fired.some((r) => r.effect === 'BLOCK')) {
    throw new Error('velocity store refused a card that no rule explains');
  }
  return { fired, utilization: Math.max(0, ...ratios) };
}

/** Limits that lift by themselves are RateLimited (addCard's union has it); anything else is RiskBlocked. */
function refusal(assessment: RiskAssessment): Error {
  const rules = assessment.rulesFired.map((r) => r.rule);
  const limitsOnly = rules.every((r) => r === RULES.cardsPerPlayer || r === RULES.cardsPerDevice);
  if (limitsOnly && assessment.retryAfterSeconds !== null) {
    // the limit that lifts last is the one the player waits for
    const perPlayer = rules.includes(RULES.cardsPerPlayer);
    return new RateLimitedError(
      assessment.retryAfterSeconds,
      `Too many cards were added recently. Try again in ${waitPhrase(assessment.retryAfterSeconds)}.`,
      perPlayer
        ? { name: RULES.cardsPerPlayer, quota: CARDS_PER_PLAYER_REFUSE_AT - 1, windowSeconds: 24 * 3600 }
        : { name: RULES.cardsPerDevice, quota: PLATFORM_RISK_DEFAULTS.cardsPerDeviceBlockAt - 1, windowSeconds: 3600 },
    );
  }
  return new RiskBlockedError(rules, assessment.retryAfterSeconds, 'Adding this card');
}
