import { RateLimitedError, RiskBlockedError } from '../../shared/errors.js';
import type { CardAddVelocityResult } from '../../shared/velocity-port.js';
import type { ServiceContext } from '../service-context.js';
import { activeBlocks } from './blocks.js';
import { recordRiskEvent } from './risk-events.js';
import { decide, RULES, type FiredRule, type RiskAssessment } from './rules.js';
import { CARDS_PER_PLAYER_REFUSE_AT, PLATFORM_RISK_DEFAULTS } from './settings.js';
import { normalizeDeviceId, normalizeIp } from './subjects.js';

export interface AssessCardAddInput {
  readonly playerId: string;
  /** The keyed fingerprint of the card number (cards module's cardFingerprint). */
  readonly fingerprint: string;
  readonly ip: string | null;
  readonly deviceId: string | null;
}

/**
 * Checks a card the player is adding, before the acquirer sees it, and counts it (one Redis call):
 * operator blocks, the decline block, the 6th distinct card in 24 hours, a card already used by
 * 3 players, and card testing (5 distinct cards from one IP or device within an hour). Every
 * decision is written to risk_events. Returns the ALLOW assessment; a refusal throws
 * RateLimitedError (a limit that lifts: too many cards) or RiskBlockedError, both with
 * retryAfterSeconds where waiting helps. Redis unreachable → ServiceUnavailableError.
 * Platform thresholds apply (a card belongs to the player's account, not to a game).
 */
export async function assessCardAdd(ctx: ServiceContext, input: AssessCardAddInput): Promise<RiskAssessment> {
  const { db, clock, velocityStore } = ctx.deps;
  const at = clock.now();
  const blocks = await activeBlocks(db, input.playerId, input.fingerprint);
  let assessment: RiskAssessment;
  if (blocks.player || blocks.card) {
    const fired: FiredRule[] = [];
    if (blocks.player)
      fired.push({ rule: RULES.playerBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    if (blocks.card)
      fired.push({ rule: RULES.cardBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null });
    assessment = decide(fired, 1);
  } else {
    const d = PLATFORM_RISK_DEFAULTS;
    const velocity = await velocityStore.evaluateCardAdd({
      nowMs: at.getTime(),
      playerId: input.playerId,
      fingerprint: input.fingerprint,
      ip: normalizeIp(input.ip),
      deviceId: normalizeDeviceId(input.deviceId),
      limits: {
        cardsPerPlayerRefuseAt: CARDS_PER_PLAYER_REFUSE_AT,
        playersPerCardBlockAt: d.playersPerCardBlockAt,
        cardsPerIpBlockAt: d.cardsPerIpBlockAt,
        cardsPerDeviceBlockAt: d.cardsPerDeviceBlockAt,
        declinesToBlock: d.declinesToBlock,
        declineBlockMs: d.declineBlockSeconds * 1000,
      },
    });
    const { fired, utilization } = cardAddRules(velocity, at.getTime());
    assessment = decide(fired, utilization);
  }
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

function cardAddRules(v: CardAddVelocityResult, now: number): { fired: FiredRule[]; utilization: number } {
  const d = PLATFORM_RISK_DEFAULTS;
  const fired: FiredRule[] = [];
  const ratios: number[] = [];
  const at = (rule: FiredRule['rule'], value: number, threshold: number, retryAfterMs: number | null) => {
    ratios.push(value / threshold);
    if (value >= threshold) fired.push({ rule, value, threshold, effect: 'BLOCK', retryAfterMs });
  };
  if (v.declineBlockUntilMs !== null) {
    fired.push({
      rule: RULES.declinesPerHour,
      value: v.declinesLastHour,
      threshold: d.declinesToBlock,
      effect: 'BLOCK',
      retryAfterMs: v.declineBlockUntilMs - now,
    });
  }
  // only allowed cards are counted, so a card added again never reaches the refusal count
  at(RULES.cardsPerPlayer, v.cardsOfPlayer.value, CARDS_PER_PLAYER_REFUSE_AT, v.cardsOfPlayer.retryAfterMs);
  at(RULES.playersPerCard, v.playersOnCard.value, d.playersPerCardBlockAt, v.playersOnCard.retryAfterMs);
  if (v.cardsOnIp.value > 0) at(RULES.cardsPerIp, v.cardsOnIp.value, d.cardsPerIpBlockAt, v.cardsOnIp.retryAfterMs);
  if (v.cardsOnDevice.value > 0)
    at(RULES.cardsPerDevice, v.cardsOnDevice.value, d.cardsPerDeviceBlockAt, v.cardsOnDevice.retryAfterMs);
  return { fired, utilization: Math.max(0, ...ratios) };
}

/** Limits that lift by themselves are RateLimited (addCard's union has it); anything else is RiskBlocked. */
function refusal(assessment: RiskAssessment): Error {
  const rules = assessment.rulesFired.map((r) => r.rule);
  const limitsOnly = rules.every(
    (r) => r === RULES.cardsPerPlayer || r === RULES.cardsPerIp || r === RULES.cardsPerDevice,
  );
  if (limitsOnly && assessment.retryAfterSeconds !== null) {
    return new RateLimitedError(assessment.retryAfterSeconds, 'Too many cards were added recently. Try again later.');
  }
  return new RiskBlockedError(rules, assessment.retryAfterSeconds);
}
