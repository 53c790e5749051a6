import { and, asc, eq, inArray, isNotNull, isNull, lt, lte } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import type { Clock } from '../shared/clock.js';
import { acquirerCharges, acquirerDisputeDeliveries, acquirerDisputes, acquirerWebhookEndpoints } from './schema.js';
import { disputeJson, publicId } from './operations.js';
import { signWebhook } from './crypto.js';

export interface DisputeDeps {
  readonly db: Database;
  /** Only this merchant account's disputes are raised and delivered: its secret signs them. */
  readonly account: string;
  readonly clock: Clock;
  readonly secret: string;
  readonly logger: Logger;
  readonly webhookTimeoutMs: number;
}

/** Delays between delivery attempts of one dispute callback; after the last, only the poll endpoint has it. */
export const DELIVERY_BACKOFF_MS = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000];
const MAX_ATTEMPTS = DELIVERY_BACKOFF_MS.length + 1;
/** A claimed delivery is not picked again by another sweeper for this long. */
const DELIVERY_LEASE_MS = 60_000;

/**
 * Raises the disputes that are due by `dueBy` (now unless a test asks for later ones too); several
 * acquirer processes may sweep at once: rows are claimed with SKIP LOCKED.
 */
export async function raiseDueDisputes(deps: DisputeDeps, dueBy?: Date): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(acquirerCharges)
      .where(
        and(
          eq(acquirerCharges.account, deps.account),
          isNotNull(acquirerCharges.disputeDueAt),
          isNull(acquirerCharges.disputedAt),
          lte(acquirerCharges.disputeDueAt, dueBy ?? now),
        ),
      )
      .orderBy(asc(acquirerCharges.disputeDueAt))
      .limit(50)
      .for('update', { skipLocked: true });
    if (due.length === 0) return 0;
    const endpoints = await tx
      .select({ id: acquirerWebhookEndpoints.id })
      .from(acquirerWebhookEndpoints)
      .where(eq(acquirerWebhookEndpoints.account, deps.account));
    for (const charge of due) {
      const disputeId = publicId('dp');
      await tx.insert(acquirerDisputes).values({
        id: disputeId,
        account: deps.account,
        chargeId: charge.id,
        amountMinor: charge.amountMinor,
        currency: charge.currency,
        reason: 'fraudulent',
        status: 'needs_response',
        createdAt: now,
      });
      await tx
        .update(acquirerCharges)
        .set({ disputedAt: now, updatedAt: now })
        .where(eq(acquirerCharges.id, charge.id));
      if (endpoints.length > 0) {
        await tx
          .insert(acquirerDisputeDeliveries)
          .values(endpoints.map((e) => ({ id: publicId('dd'), disputeId, endpointId: e.id, nextAttemptAt: now })));
      }
      deps.logger.info({ disputeId, chargeId: charge.id }, 'dispute raised');
    }
    return due.length;
  });
}

/** Sends the dispute callbacks that are due, signed like Standard Webhooks; failures back off and retry. */
export async function deliverDueCallbacks(deps: DisputeDeps): Promise<number> {
  const now = deps.clock.now();
  const claimed = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .select({
        delivery: acquirerDisputeDeliveries,
        dispute: acquirerDisputes,
        url: acquirerWebhookEndpoints.url,
        chargeKey: acquirerCharges.idempotencyKey,
      })
      .from(acquirerDisputeDeliveries)
      .innerJoin(acquirerDisputes, eq(acquirerDisputes.id, acquirerDisputeDeliveries.disputeId))
      .innerJoin(acquirerWebhookEndpoints, eq(acquirerWebhookEndpoints.id, acquirerDisputeDeliveries.endpointId))
      .innerJoin(acquirerCharges, eq(acquirerCharges.id, acquirerDisputes.chargeId))
      .where(
        and(
          eq(acquirerWebhookEndpoints.account, deps.account),
          isNull(acquirerDisputeDeliveries.deliveredAt),
          lte(acquirerDisputeDeliveries.nextAttemptAt, now),
          lt(acquirerDisputeDeliveries.attempts, MAX_ATTEMPTS),
        ),
      )
      .orderBy(asc(acquirerDisputeDeliveries.nextAttemptAt))
      .limit(20)
      .for('update', { of: acquirerDisputeDeliveries, skipLocked: true });
    if (rows.length > 0) {
      await tx
        .update(acquirerDisputeDeliveries)
        .set({ nextAttemptAt: new Date(now.getTime() + DELIVERY_LEASE_MS) })
        .where(
          inArray(
            acquirerDisputeDeliveries.id,
            rows.map((r) => r.delivery.id),
          ),
        );
    }
    return rows;
  });

  await Promise.all(
    claimed.map(async ({ delivery, dispute, url, chargeKey }) => {
      const attempts = delivery.attempts + 1;
      const body = JSON.stringify({ type: 'dispute.created', data: disputeJson(dispute, chargeKey) });
      const timestamp = Math.floor(Date.now() / 1000);
      let error: string | null = null;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': dispute.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(deps.secret, dispute.id, timestamp, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(deps.webhookTimeoutMs),
        });
        await response.body?.cancel();
        if (response.status < 200 || response.status >= 300) error = `HTTP ${response.status}`;
      } catch (cause) {
        error = cause instanceof Error ? cause.message : String(cause);
      }
      const at = deps.clock.now();
      const delay = DELIVERY_BACKOFF_MS[attempts - 1] ?? DELIVERY_BACKOFF_MS[DELIVERY_BACKOFF_MS.length - 1] ?? 0;
      await deps.db
        .update(acquirerDisputeDeliveries)
        .set(
          error === null
            ? { attempts, deliveredAt: at, lastError: null }
            : { attempts, lastError: error.slice(0, 500), nextAttemptAt: new Date(at.getTime() + delay) },
        )
        .where(eq(acquirerDisputeDeliveries.id, delivery.id));
      if (error === null) deps.logger.info({ disputeId: dispute.id, attempts }, 'dispute callback delivered');
      else deps.logger.warn({ disputeId: dispute.id, attempts, error }, 'dispute callback failed');
    }),
  );
  return claimed.length;
}
