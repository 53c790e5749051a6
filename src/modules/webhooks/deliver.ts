import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { outboxEvents, webhookDeliveries } from '../../db/schema/index.js';
import { newId } from '../../shared/ids.js';
import { DESTINATION_NOT_ALLOWED, NO_RESPONSE } from '../../shared/outbound-http-port.js';
import { findGame, getWebhookSigningSecrets } from '../games/index.js';
import type { Deps } from '../service-context.js';
import { signWebhook } from './sign-webhook.js';

export type OutboxEventRow = typeof outboxEvents.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type DeliveryTrigger = WebhookDeliveryRow['trigger'];

/** Where and how an event is sent: the game's URL and its signing secrets, or why it cannot be. */
export type DeliveryTarget =
  | { readonly url: string; readonly secrets: readonly string[] }
  | { readonly url: null; readonly reason: string };

/** The result of one HTTP attempt, before it is recorded. */
export interface AttemptOutcome {
  readonly url: string;
  readonly success: boolean;
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly attemptedAt: Date;
}

const EXCERPT_CHARS = 500;
// UTF-8 takes at most 4 bytes a character: enough bytes for the excerpt, and never more is read.
const EXCERPT_BYTES = EXCERPT_CHARS * 4;

/** The JSON body of an event as Standard Webhooks describes it: id, type, timestamp, data. */
export function webhookBody(event: Pick<OutboxEventRow, 'id' | 'type' | 'createdAt' | 'payload'>): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    data: event.payload,
  });
}

/** The game's webhook URL and current signing secrets. */
export async function deliveryTarget(deps: Deps, gameId: string): Promise<DeliveryTarget> {
  const game = await findGame(deps.db, gameId);
  if (!game?.webhookUrl) return { url: null, reason: 'The game has no webhook URL.' };
  const secrets = await getWebhookSigningSecrets(deps, deps.db, gameId);
  if (secrets.length === 0) return { url: null, reason: 'The game has no webhook secret; rotate it to create one.' };
  return { url: game.webhookUrl, secrets };
}

/**
 * POSTs one event, signed, through the outbound client (internal destinations refused, no
 * redirects, time and size bounded). A 2xx answer is success; anything else is a failure whose
 * reason says no more than the developer needs: the status, "no response" (connection refused,
 * reset, DNS or TLS failure and timeout alike, so it cannot map a network) or "destination not
 * allowed" (with no excerpt). Never throws.
 */
export async function postWebhook(
  deps: Deps,
  event: Pick<OutboxEventRow, 'id' | 'type' | 'createdAt' | 'payload'>,
  target: { readonly url: string; readonly secrets: readonly string[] },
  abort?: AbortSignal,
): Promise<AttemptOutcome> {
  const attemptedAt = deps.clock.now();
  const body = webhookBody(event);
  const headers = signWebhook(target.secrets, event.id, Math.floor(attemptedAt.getTime() / 1000), body);
  const started = performance.now();
  const result = await deps.outboundHttp.send({
    method: 'POST',
    url: target.url,
    headers: { 'content-type': 'application/json', 'user-agent': 'Coinslot-Webhooks/1.0', ...headers },
    body,
    timeoutMs: deps.config.WEBHOOK_TIMEOUT,
    maxResponseBytes: EXCERPT_BYTES,
    signal: abort,
  });
  const durationMs = Math.round(performance.now() - started);
  if (result.kind !== 'response') {
    return {
      url: target.url,
      success: false,
      statusCode: null,
      durationMs,
      error: result.kind === 'refused' ? DESTINATION_NOT_ALLOWED : NO_RESPONSE,
      responseExcerpt: null,
      attemptedAt,
    };
  }
  const success = result.status >= 200 && result.status < 300;
  return {
    url: target.url,
    success,
    statusCode: result.status,
    durationMs,
    error: success ? null : `HTTP ${result.status}`,
    responseExcerpt: result.body.slice(0, EXCERPT_CHARS) || null,
    attemptedAt,
  };
}

/** Saves one attempt in webhook_deliveries (every attempt is kept, whatever its trigger). */
export async function recordDelivery(
  executor: Executor,
  event: Pick<OutboxEventRow, 'id' | 'gameId'>,
  outcome: AttemptOutcome,
  trigger: DeliveryTrigger,
): Promise<WebhookDeliveryRow> {
  const [row] = await executor
    .insert(webhookDeliveries)
    .values({
      id: newId(),
      eventId: event.id,
      gameId: event.gameId,
      url: outcome.url,
      statusCode: outcome.statusCode,
      durationMs: outcome.durationMs,
      success: outcome.success,
      error: outcome.error,
      responseExcerpt: outcome.responseExcerpt,
      trigger,
      attemptedAt: outcome.attemptedAt,
    })
    .returning();
  return row!;
}

/** The delay before the next attempt after `attempts` failed ones, with ±10 % jitter; null when the schedule is spent. */
export function nextRetryDelayMs(
  schedule: readonly number[],
  attempts: number,
  random: () => number = Math.random,
): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.9 + 0.2 * random()));
}

/**
 * Records the outcome of an automatic attempt made under `leaseToken`: delivered on success,
 * otherwise the next attempt by the retry schedule, or failed when the schedule is spent.
 * A lease lost meanwhile (another instance took over) leaves the event to its new owner.
 */
export async function settleAttempt(
  deps: Deps,
  event: OutboxEventRow,
  leaseToken: string,
  outcome: AttemptOutcome,
  random?: () => number,
): Promise<{ delivery: WebhookDeliveryRow; status: OutboxEventRow['status'] }> {
  const attempts = event.attempts + 1;
  const now = deps.clock.now();
  const delay = outcome.success ? null : nextRetryDelayMs(deps.config.WEBHOOK_RETRY_SCHEDULE, attempts, random);
  const status = outcome.success ? 'delivered' : delay === null ? 'failed' : 'pending';
  return deps.db.transaction(async (tx) => {
    const delivery = await recordDelivery(tx, event, outcome, 'automatic');
    await tx
      .update(outboxEvents)
      .set({
        status,
        attempts: sql`${outboxEvents.attempts} + 1`,
        nextAttemptAt: status === 'pending' ? new Date(now.getTime() + (delay as number)) : null,
        leaseToken: null,
        lastError: outcome.error,
        deliveredAt: outcome.success ? now : null,
      })
      .where(and(eq(outboxEvents.id, event.id), eq(outboxEvents.leaseToken, leaseToken)));
    return { delivery, status };
  });
}
