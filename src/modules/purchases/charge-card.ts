import { AcquirerUnavailableError } from '../../shared/acquirer-port.js';
import { ServiceUnavailableError } from '../../shared/errors.js';
import type { CatalogItem } from '../catalog/index.js';
import type { ServiceContext } from '../service-context.js';
import { attemptKey, type PurchaseRow } from './purchase-row.js';
import { settleCharge } from './settle-charge.js';

/**
 * Phase 2 and 3 of a PROCESSING purchase: charge (or confirm with the CVC) under the attempt's
 * idempotency key, then settle. When the acquirer fails or times out the purchase stays
 * PROCESSING — the recovery loop finishes it by looking the key up — and the caller is told to retry.
 */
export async function chargeAndSettle(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  card: { acquirerToken: string },
  options: { cvc?: string; confirmPendingAction?: boolean; item?: CatalogItem } = {},
): Promise<PurchaseRow> {
  const { acquirer, logger, config } = ctx.deps;
  // Recovery may judge this purchase from processingAt + RECOVERY_THRESHOLD on; the acquirer must have
  // acted (or refused) well before, so a stalled instance can never charge a purchase recovery failed.
  // Instances and the acquirer are assumed to keep clocks within RECOVERY_THRESHOLD / 5 of each other.
  const notAfter = new Date(
    (purchase.processingAt ?? ctx.deps.clock.now()).getTime() + config.RECOVERY_THRESHOLD * 0.8,
  );
  let result;
  const started = performance.now();
  const latency = (outcome: string) => ctx.deps.metrics.chargeLatency((performance.now() - started) / 1000, outcome);
  try {
    result = options.confirmPendingAction
      ? await acquirer.confirmCharge({ idempotencyKey: attemptKey(purchase), cvc: options.cvc ?? '', notAfter })
      : await acquirer.charge({
          token: card.acquirerToken,
          amountMinor: purchase.amountMinor,
          currency: purchase.currency,
          idempotencyKey: attemptKey(purchase),
          notAfter,
          ...(options.cvc ? { cvc: options.cvc } : {}),
        });
    // The player just typed the CVC (our step-up); if the bank now asks for it too, answer with the same
    // code in this request instead of sending the player back to type it a second time.
    if (result.status === 'requires_action' && options.cvc && !options.confirmPendingAction) {
      result = await acquirer.confirmCharge({ idempotencyKey: attemptKey(purchase), cvc: options.cvc, notAfter });
    }
    latency(result.status);
  } catch (error) {
    latency('error');
    if (error instanceof AcquirerUnavailableError) {
      logger.warn(
        { purchaseId: purchase.id, code: error.code, outcomeUnknown: error.outcomeUnknown },
        'acquirer unavailable; purchase left processing for recovery',
      );
      throw new ServiceUnavailableError(
        'The payment is being processed. Nothing will be charged twice; check the purchase again shortly.',
        3,
      );
    }
    throw error;
  }
  try {
    return await settleCharge(ctx, purchase, result, options.item);
  } catch (error) {
    throw settlementPending(ctx, purchase, error);
  }
}

/**
 * Phase 3 failed after the money moved (a void could not be sent, settlement could not commit): the
 * purchase stays PROCESSING and recovery finishes it — settles it, or after RECOVERY_MAX_ATTEMPTS voids
 * the charge and fails it — so the caller is told to look again, never shown an internal error.
 */
export function settlementPending(ctx: ServiceContext, purchase: PurchaseRow, error: unknown): Error {
  if (!(error instanceof AcquirerUnavailableError))
    ctx.deps.logger.error({ err: error, purchaseId: purchase.id }, 'settlement failed; purchase left for recovery');
  return new ServiceUnavailableError('The payment is being processed. Check the purchase again shortly.', 3);
}
