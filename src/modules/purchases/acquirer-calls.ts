import type { ChargeResult } from '../../shared/acquirer-port.js';
import { isUuid } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import type { PurchaseRow } from './purchase-row.js';
import type { SettlementOutcome } from './settle-charge.js';

// The one owner of a purchase's calls to the acquirer — charge, confirm, look up, void — and of the
// idempotency keys they go under. No other file of the module calls `ctx.deps.acquirer` for a
// purchase or spells a key: phase 3 (settle-charge.ts) only commits what these calls decided.
// (A refund's call is the refunds module's, keyed by the refund id.)

type Attempt = Pick<PurchaseRow, 'id' | 'chargeAttempt'>;

/** The acquirer idempotency key of the purchase's current charge attempt: its id, then id:2, id:3… */
function attemptKey(purchase: Attempt): string {
  return purchase.chargeAttempt === 1 ? purchase.id : `${purchase.id}:${purchase.chargeAttempt}`;
}

/**
 * The key that voids (or cancels) the current attempt's charge: one spelling for every void (a
 * risk void, a held charge canceled, a settlement given up), so two of them are one void at the acquirer.
 */
function voidKey(purchase: Attempt): string {
  return `${attemptKey(purchase)}:void`;
}

/** The purchase id inside a charge's idempotency key (a dispute names its charge by it); null if not ours. */
export function purchaseIdOfChargeKey(key: string): string | null {
  const id = key.split(':')[0] ?? '';
  return isUuid(id) ? id : null;
}

/**
 * Phase 2 of a PROCESSING purchase: charges its card (or confirms the held charge with the CVC)
 * under the attempt's key, so that a retry never charges twice. Outside any transaction. Acquirer
 * errors are thrown as they are; the caller decides what the purchase becomes.
 */
export async function chargeAttempt(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  card: { acquirerToken: string },
  options: { cvc?: string; confirmPendingAction?: boolean } = {},
): Promise<ChargeResult> {
  const { acquirer, config, clock, metrics } = ctx.deps;
  const idempotencyKey = attemptKey(purchase);
  // Recovery may judge this purchase from processingAt + RECOVERY_THRESHOLD on; the acquirer must have
  // acted (or refused) well before, so a stalled instance can never charge a purchase recovery failed.
  // Instances and the acquirer are assumed to keep clocks within RECOVERY_THRESHOLD / 5 of each other.
  const notAfter = new Date((purchase.processingAt ?? clock.now()).getTime() + config.RECOVERY_THRESHOLD * 0.8);
  const started = performance.now();
  const latency = (outcome: string) => metrics.chargeLatency((performance.now() - started) / 1000, outcome);
  try {
    let result = options.confirmPendingAction
      ? await acquirer.confirmCharge({ idempotencyKey, cvc: options.cvc ?? '', notAfter })
      : await acquirer.charge({
          token: card.acquirerToken,
          amountMinor: purchase.amountMinor,
          currency: purchase.currency,
          idempotencyKey,
          notAfter,
          ...(options.cvc ? { cvc: options.cvc } : {}),
        });
    // The player just typed the CVC (our step-up); if the bank now asks for it too, answer with the same
    // code in this request instead of sending the player back to type it a second time.
    if (result.status === 'requires_action' && options.cvc && !options.confirmPendingAction) {
      result = await acquirer.confirmCharge({ idempotencyKey, cvc: options.cvc, notAfter });
    }
    latency(result.status);
    return result;
  } catch (error) {
    latency('error');
    throw error;
  }
}

/** Recovery: the charge of the purchase's current attempt as the acquirer has it, or null if none was made. */
export function lookupAttempt(ctx: ServiceContext, purchase: PurchaseRow): Promise<ChargeResult | null> {
  return ctx.deps.acquirer.lookupCharge(attemptKey(purchase));
}

/**
 * What the acquirer's answer (`null`: recovery found no charge) means for a PROCESSING purchase,
 * making the calls that decision needs first: a charge the acquirer marks highest risk is voided
 * (the purchase will fail `risk_blocked`), and one of elevated risk made without the CVC is voided
 * (the player will be asked for the CVC, and the next attempt gets a new key). Voids are keyed, so
 * a request and recovery judging the same charge void it once. Settlement then only commits.
 */
export async function judgeCharge(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  result: ChargeResult | null,
): Promise<SettlementOutcome> {
  if (!result) return { kind: 'failed', declineCode: 'processing_error', acquirerChargeId: null };
  if (result.status === 'declined')
    return { kind: 'failed', declineCode: result.declineCode ?? 'generic_decline', acquirerChargeId: result.chargeId };
  if (result.status === 'requires_action') return { kind: 'requires_action', acquirerChargeId: result.chargeId };
  if (result.risk === 'highest') {
    // The acquirer's highest-risk flag: give the money back at once and block.
    await voidCharge(ctx, purchase, result.chargeId);
    return { kind: 'risk_blocked', acquirerChargeId: result.chargeId };
  }
  if (result.risk === 'elevated' && !purchase.attemptWithCvc) {
    // Elevated risk without the CVC: reverse this attempt and ask the player for the CVC (step-up).
    await voidCharge(ctx, purchase, result.chargeId);
    return { kind: 'step_up' };
  }
  return { kind: 'succeeded', acquirerChargeId: result.chargeId };
}

/**
 * Cancels the charge the acquirer holds for authentication (it took no money yet): before a block,
 * another card, or when the waiting purchase is canceled. Nothing to do without one.
 */
export async function voidHeldCharge(ctx: ServiceContext, purchase: PurchaseRow): Promise<void> {
  if (purchase.acquirerChargeId) await voidCharge(ctx, purchase, purchase.acquirerChargeId);
}

/**
 * Giving up a settlement: the current attempt's charge, if the acquirer has one, is voided —
 * refunded in full, or canceled while it still waits for authentication; a declined one has nothing
 * to give back. Returns the charge found (for the record), or null when none was made.
 */
export async function voidAttemptCharge(ctx: ServiceContext, purchase: PurchaseRow): Promise<string | null> {
  const charge = await lookupAttempt(ctx, purchase);
  if (!charge) return null;
  if (charge.status !== 'declined') {
    const voided = await voidCharge(ctx, purchase, charge.chargeId);
    ctx.deps.logger.warn(
      { purchaseId: purchase.id, chargeId: charge.chargeId, voided: voided.status, amountMinor: voided.amountMinor },
      'settlement given up: the charge was voided at the acquirer',
    );
  }
  return charge.chargeId;
}

function voidCharge(ctx: ServiceContext, purchase: PurchaseRow, chargeId: string) {
  return ctx.deps.acquirer.voidCharge({ chargeId, idempotencyKey: voidKey(purchase) });
}
