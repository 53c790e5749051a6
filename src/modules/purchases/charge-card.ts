import { AcquirerUnavailableError, type ChargeResult } from '../../shared/acquirer-port.js';
import { ServiceUnavailableError } from '../../shared/errors.js';
import type { CatalogItem } from '../catalog/index.js';
import type { ServiceContext } from '../service-context.js';
import { chargeAttempt, judgeCharge } from './acquirer-calls.js';
import type { PurchaseRow } from './purchase-row.js';
import { settleOutcome } from './settle-charge.js';

/**
 * Phase 2 and 3 of a PROCESSING purchase: charge (or confirm with the CVC) through acquirer-calls.ts,
 * judge the answer there (a risk void included), then commit it. When the acquirer fails or times
 * out the purchase stays PROCESSING — the recovery loop finishes it by looking the attempt up — and
 * the caller is told to retry.
 */
export async function chargeAndSettle(
  ctx: ServiceContext,
  purchase: PurchaseRow,
  card: { acquirerToken: string },
  options: { cvc?: string; confirmPendingAction?: boolean; item?: CatalogItem } = {},
): Promise<PurchaseRow> {
  let result: ChargeResult;
  try {
    result = await chargeAttempt(ctx, purchase, card, options);
  } catch (error) {
    if (error instanceof AcquirerUnavailableError) {
      ctx.deps.logger.warn(
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
    return await settleOutcome(ctx, purchase, await judgeCharge(ctx, purchase, result), options.item);
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
