import { randomUUID } from 'node:crypto';
import type { ServiceContext } from '../service-context.js';
import { loadEffectiveSettings } from './settings.js';
import { normalizeIp } from './subjects.js';

export interface RecordDeclineInput {
  readonly playerId: string;
  /** The game whose thresholds report the block state; the platform's when null. */
  readonly gameId?: string | null;
  /** The declined purchase: counted once however often it is reported, and its amount is given back. */
  readonly purchaseId?: string | null;
  /** The declined purchase's currency (with purchaseId: its amount leaves the daily total). */
  readonly currency?: string | null;
  /** The acquirer's decline code: incorrect_cvc weighs half of any other decline. */
  readonly declineCode?: string | null;
  /** Where the declined card came from, and which card: it counts toward card testing from the address. */
  readonly ip?: string | null;
  readonly cardFingerprint?: string | null;
}

export interface DeclineOutcome {
  /** Declines of the player in the last hour, this one included. */
  readonly declinesLastHour: number;
  /** Until when the player is now blocked (declines rule), or null. */
  readonly blockedUntil: Date | null;
}

/**
 * Counts a decline of the player (a declined charge, or a card the acquirer refused to verify) and of
 * its address: 3 bank declines within an hour (a mistyped CVC counts half) lock the player's
 * purchases and card adds out for 5 minutes, 15 the next time within 24 hours, then 45…, up to
 * declineBlockSeconds. Redis unreachable → ServiceUnavailableError.
 */
export async function recordDecline(ctx: ServiceContext, input: RecordDeclineInput): Promise<DeclineOutcome> {
  const { db, config, clock, velocityStore } = ctx.deps;
  const { thresholds } = await loadEffectiveSettings(db, config, input.gameId ?? null);
  const result = await velocityStore.recordDecline({
    nowMs: clock.now().getTime(),
    playerId: input.playerId,
    attemptId: input.purchaseId || randomUUID(),
    kind: input.declineCode === 'incorrect_cvc' ? 'incorrect_cvc' : 'bank',
    ip: normalizeIp(input.ip ?? null),
    cardFingerprint: input.cardFingerprint ?? null,
    currency: input.purchaseId && input.currency ? input.currency : null,
    declinesToBlock: thresholds.declinesToBlock,
    declineBlockMs: thresholds.declineBlockSeconds * 1000,
  });
  return {
    declinesLastHour: result.declinesLastHour,
    blockedUntil: result.declineBlockUntilMs === null ? null : new Date(result.declineBlockUntilMs),
  };
}

/**
 * Gives a purchase's amount back to the player's daily total when it ends without a charge
 * (canceled, expired, failed, voided). One Redis call; harmless when repeated.
 */
export async function releasePurchaseAmount(
  ctx: ServiceContext,
  input: { playerId: string; purchaseId: string; currency: string },
): Promise<void> {
  await ctx.deps.velocityStore.releasePurchase({
    playerId: input.playerId,
    attemptId: input.purchaseId,
    currency: input.currency,
  });
}
