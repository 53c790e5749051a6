import { randomBytes } from 'node:crypto';
import { and, asc, eq, gte, sql } from 'drizzle-orm';
import type { Executor, Database } from '../db/client.js';
import type { Clock } from '../shared/clock.js';
import { isIsoCurrency } from '../shared/currencies.js';
import {
  acquirerCards,
  acquirerCharges,
  acquirerDisputes,
  acquirerRefunds,
  acquirerWebhookEndpoints,
} from './schema.js';
import { cvcMatches, cvcVerifier, decryptCardNumber, encryptCardNumber, type AcquirerKeys } from './crypto.js';
import { behaviourOf, brandOf, luhnValid, type CardBehaviour } from './test-cards.js';
import { HttpError, asObject, invalid, type Reply } from './http.js';

export interface OperationDeps {
  readonly db: Database;
  readonly keys: AcquirerKeys;
  readonly clock: Clock;
  readonly disputeDelayMs: number;
}

/** A public id with a kind prefix (`ch_…`), 144 random bits. */
export function publicId(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`;
}

type ChargeRow = typeof acquirerCharges.$inferSelect;
type DisputeRow = typeof acquirerDisputes.$inferSelect;

/** A charge as the API shows it (the port's ChargeResult, plus createdAt). */
export function chargeJson(
  row: Pick<
    ChargeRow,
    | 'id'
    | 'status'
    | 'declineCode'
    | 'risk'
    | 'amountMinor'
    | 'currency'
    | 'refundedMinor'
    | 'idempotencyKey'
    | 'createdAt'
  >,
): Record<string, unknown> {
  return {
    chargeId: row.id,
    status: row.status,
    ...(row.declineCode ? { declineCode: row.declineCode } : {}),
    risk: row.risk,
    amountMinor: row.amountMinor,
    currency: row.currency,
    refundedMinor: row.refundedMinor,
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt.toISOString(),
  };
}

export function disputeJson(row: DisputeRow, chargeIdempotencyKey: string): Record<string, unknown> {
  return {
    disputeId: row.id,
    chargeId: row.chargeId,
    chargeIdempotencyKey,
    amountMinor: row.amountMinor,
    currency: row.currency,
    reason: row.reason,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

function declined(declineCode: string): Reply {
  return {
    status: 402,
    body: { error: { code: 'card_declined', declineCode, message: `The card was declined (${declineCode}).` } },
  };
}

function isExpired(expMonth: number, expYear: number, now: Date): boolean {
  return expYear < now.getUTCFullYear() || (expYear === now.getUTCFullYear() && expMonth < now.getUTCMonth() + 1);
}

function intField(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, `an integer from ${min} to ${max}`);
  }
  return value;
}

function amountField(body: Record<string, unknown>, field = 'amountMinor'): number {
  return intField(body, field, 1, Number.MAX_SAFE_INTEGER);
}

function cvcField(body: Record<string, unknown>, required: boolean): string | undefined {
  const value = body.cvc;
  if (value === undefined || value === null) {
    if (required) throw invalid('cvc', 'required');
    return undefined;
  }
  if (typeof value !== 'string' || !/^[0-9]{3,4}$/.test(value)) throw invalid('cvc', '3 or 4 digits');
  return value;
}

/** POST /v1/tokens: verifies a card and keeps it encrypted; a decline is a stored 402. */
export async function tokenizeCard(deps: OperationDeps, tx: Executor, input: unknown): Promise<Reply> {
  const body = asObject(input);
  if (typeof body.number !== 'string' || !/^[0-9 ]{12,23}$/.test(body.number))
    throw invalid('number', '12 to 19 digits');
  const number = body.number.replace(/ /g, '');
  if (number.length < 12 || number.length > 19) throw invalid('number', '12 to 19 digits');
  const expMonth = intField(body, 'expMonth', 1, 12);
  const expYear = intField(body, 'expYear', 2000, 9999);
  const { brand, cvcLength } = brandOf(number);
  const cvc = cvcField(body, true) as string;
  if (cvc.length !== cvcLength) throw invalid('cvc', `${cvcLength} digits for this card`);
  const holderName = body.holderName;
  if (typeof holderName !== 'string' || holderName.trim() === '' || holderName.length > 200)
    throw invalid('holderName', '1 to 200 characters');

  if (!luhnValid(number)) return declined('incorrect_number');
  const behaviour = behaviourOf(number);
  if (behaviour.declineOnVerify) return declined(behaviour.declineOnVerify);
  if (isExpired(expMonth, expYear, deps.clock.now())) return declined('expired_card');

  const token = publicId('tok');
  await tx.insert(acquirerCards).values({
    token,
    account: deps.keys.account,
    numberCiphertext: encryptCardNumber(deps.keys, token, number),
    cvcVerifier: cvcVerifier(deps.keys, token, cvc),
    brand,
    last4: number.slice(-4),
    expMonth,
    expYear,
    holderName: holderName.trim(),
    createdAt: deps.clock.now(),
  });
  return { status: 201, body: { token, brand, last4: number.slice(-4), expMonth, expYear } };
}

/** The outcome of a charge, and whether it is to be disputed later. */
export interface ChargeOutcome {
  readonly reply: Reply;
  readonly disputeDueAt: Date | null;
}

/** The body of POST /v1/charges, checked. */
export interface ChargeInput {
  readonly token: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly cvc: string | undefined;
}

/** Checks the body of POST /v1/charges; a 400 otherwise. */
export function parseChargeInput(input: unknown): ChargeInput {
  const body = asObject(input);
  if (typeof body.token !== 'string' || body.token.length > 100) throw invalid('token', 'a card token');
  const amountMinor = amountField(body);
  if (typeof body.currency !== 'string' || !isIsoCurrency(body.currency)) throw invalid('currency', 'an ISO 4217 code');
  return { token: body.token, amountMinor, currency: body.currency, cvc: cvcField(body, false) };
}

/** What a charge needs of its card. Cards are never updated, so this may be kept (see CardCache). */
export interface CardFacts {
  readonly token: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvcVerifier: string;
  readonly behaviour: CardBehaviour;
}

/** Decrypts a card row's number only to learn its sandbox behaviour; the number itself is not kept. */
export function cardFacts(
  keys: AcquirerKeys,
  row: { token: string; numberCiphertext: string; expMonth: number; expYear: number; cvcVerifier: string },
): CardFacts {
  return {
    token: row.token,
    expMonth: row.expMonth,
    expYear: row.expYear,
    cvcVerifier: row.cvcVerifier,
    behaviour: behaviourOf(decryptCardNumber(keys, row.token, row.numberCiphertext)),
  };
}

/** The test card for acquirer faults: nothing is recorded, so a retry runs again and lookups find nothing. */
export function processingError(): HttpError {
  return new HttpError(
    503,
    'processing_error',
    'The acquirer could not process the charge; nothing was charged.',
    {},
    true,
  );
}

/** A charge decided, not yet recorded. */
export interface ChargeDecision {
  readonly status: ChargeRow['status'];
  readonly declineCode: string | null;
  readonly risk: ChargeRow['risk'];
  readonly disputeDueAt: Date | null;
}

/** Decides a charge by its card (not the processing-error card: see processingError). */
export function decideCharge(deps: OperationDeps, card: CardFacts, cvc: string | undefined, now: Date): ChargeDecision {
  const { behaviour } = card;
  let status: ChargeRow['status'] = 'approved';
  let declineCode: string | null = null;
  let risk: ChargeRow['risk'] = behaviour.risk;
  if (isExpired(card.expMonth, card.expYear, now)) {
    [status, declineCode] = ['declined', 'expired_card'];
  } else if (behaviour.declineOnCharge) {
    [status, declineCode] = ['declined', behaviour.declineOnCharge];
  } else if (behaviour.requiresAction) {
    status = 'requires_action';
  } else if (cvc !== undefined && !cvcMatches(deps.keys, card.token, cvc, card.cvcVerifier)) {
    [status, declineCode] = ['declined', 'incorrect_cvc'];
  }
  if (status !== 'approved') risk = 'normal';
  const disputeDueAt =
    status === 'approved' && behaviour.disputed ? new Date(now.getTime() + deps.disputeDelayMs) : null;
  return { status, declineCode, risk, disputeDueAt };
}

/** POST /v1/charges (inside the idempotency transaction): decides by card number and records the charge. */
export async function createCharge(
  deps: OperationDeps,
  tx: Executor,
  idempotencyKey: string,
  input: unknown,
): Promise<ChargeOutcome> {
  const { token, amountMinor, currency, cvc } = parseChargeInput(input);
  const [card] = await tx
    .select()
    .from(acquirerCards)
    .where(and(eq(acquirerCards.account, deps.keys.account), eq(acquirerCards.token, token)));
  if (!card) throw new HttpError(404, 'no_such_token', 'No card has this token.');
  const facts = cardFacts(deps.keys, card);
  if (facts.behaviour.processingError) throw processingError();

  const now = deps.clock.now();
  const { status, declineCode, risk, disputeDueAt } = decideCharge(deps, facts, cvc, now);
  const [row] = await tx
    .insert(acquirerCharges)
    .values({
      id: publicId('ch'),
      account: deps.keys.account,
      idempotencyKey,
      cardToken: card.token,
      amountMinor,
      currency,
      status,
      declineCode,
      risk,
      disputeDueAt,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return { reply: { status: 201, body: chargeJson(row as ChargeRow) }, disputeDueAt };
}

async function lockedCharge(deps: OperationDeps, tx: Executor, chargeId: string): Promise<ChargeRow> {
  const [row] = await tx
    .select()
    .from(acquirerCharges)
    .where(and(eq(acquirerCharges.account, deps.keys.account), eq(acquirerCharges.id, chargeId)))
    .for('update');
  if (!row) throw new HttpError(404, 'no_such_charge', 'No charge has this id.');
  return row;
}

/** POST /v1/charges/:id/confirm: checks the CVC of a requires_action charge; any other charge is returned as it is. */
export async function confirmCharge(
  deps: OperationDeps,
  tx: Executor,
  chargeId: string,
  input: unknown,
): Promise<ChargeOutcome> {
  const body = asObject(input);
  const cvc = cvcField(body, true) as string;
  const charge = await lockedCharge(deps, tx, chargeId);
  if (charge.status !== 'requires_action')
    return { reply: { status: 200, body: chargeJson(charge) }, disputeDueAt: null };
  const [card] = await tx.select().from(acquirerCards).where(eq(acquirerCards.token, charge.cardToken));
  if (!card) throw new Error(`charge ${charge.id} lost its card`);
  const behaviour = behaviourOf(decryptCardNumber(deps.keys, card.token, card.numberCiphertext));
  const now = deps.clock.now();
  const approved = cvcMatches(deps.keys, card.token, cvc, card.cvcVerifier);
  const disputeDueAt = approved && behaviour.disputed ? new Date(now.getTime() + deps.disputeDelayMs) : null;
  const [row] = await tx
    .update(acquirerCharges)
    .set(
      approved
        ? { status: 'approved', risk: behaviour.risk, disputeDueAt, updatedAt: now }
        : { status: 'declined', declineCode: 'incorrect_cvc', updatedAt: now },
    )
    .where(eq(acquirerCharges.id, charge.id))
    .returning();
  return { reply: { status: 200, body: chargeJson(row as ChargeRow) }, disputeDueAt };
}

/** GET /v1/charges?idempotency_key=: waits for a charge with this key still being written, then reads. */
export async function findChargeByKey(deps: OperationDeps, idempotencyKey: string): Promise<Reply> {
  return deps.db.transaction(async (tx) => {
    await lockIdempotencyKey(tx, deps.keys.account, 'charges', idempotencyKey);
    const [row] = await tx
      .select()
      .from(acquirerCharges)
      .where(and(eq(acquirerCharges.account, deps.keys.account), eq(acquirerCharges.idempotencyKey, idempotencyKey)));
    if (!row) throw new HttpError(404, 'no_such_charge', 'No charge was made with this idempotency key.');
    return { status: 200, body: chargeJson(row) };
  });
}

export async function findCharge(deps: OperationDeps, chargeId: string): Promise<Reply> {
  const [row] = await deps.db
    .select()
    .from(acquirerCharges)
    .where(and(eq(acquirerCharges.account, deps.keys.account), eq(acquirerCharges.id, chargeId)));
  if (!row) throw new HttpError(404, 'no_such_charge', 'No charge has this id.');
  return { status: 200, body: chargeJson(row) };
}

/** Serializes every request carrying one idempotency key of one operation, until its transaction ends. */
export async function lockIdempotencyKey(tx: Executor, account: string, operation: string, key: string): Promise<void> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`acquirer:${account}:${operation}:${key}`}, 0))`,
  );
}

/** POST /v1/charges/:id/refunds: never beyond what is left of the charge, never for a disputed one. */
export async function refundCharge(
  deps: OperationDeps,
  tx: Executor,
  chargeId: string,
  input: unknown,
): Promise<Reply> {
  const body = asObject(input);
  const amountMinor = amountField(body);
  const charge = await lockedCharge(deps, tx, chargeId);
  if (charge.status !== 'approved') {
    throw new HttpError(409, 'charge_not_refundable', `A ${charge.status} charge cannot be refunded.`);
  }
  // Like card networks: once disputed, the money goes back through the dispute, never also by a refund.
  if (charge.disputedAt)
    throw new HttpError(409, 'charge_disputed', 'A disputed charge cannot be refunded: the dispute returns the money.');
  const refundableMinor = charge.amountMinor - charge.refundedMinor;
  if (amountMinor > refundableMinor) {
    throw new HttpError(409, 'amount_exceeds_refundable', `At most ${refundableMinor} can still be refunded.`, {
      refundableMinor,
    });
  }
  const now = deps.clock.now();
  const refundId = publicId('re');
  await tx
    .insert(acquirerRefunds)
    .values({ id: refundId, chargeId, amountMinor, currency: charge.currency, kind: 'refund', createdAt: now });
  await tx
    .update(acquirerCharges)
    .set({ refundedMinor: sql`${acquirerCharges.refundedMinor} + ${amountMinor}`, updatedAt: now })
    .where(eq(acquirerCharges.id, chargeId));
  return { status: 201, body: { refundId, chargeId, amountMinor, currency: charge.currency, status: 'succeeded' } };
}

/** POST /v1/charges/:id/void: refunds all that is left of an approved charge, or cancels one still requiring action. */
export async function voidCharge(deps: OperationDeps, tx: Executor, chargeId: string, input: unknown): Promise<Reply> {
  asObject(input);
  const charge = await lockedCharge(deps, tx, chargeId);
  const now = deps.clock.now();
  if (charge.status === 'requires_action' || (charge.status === 'declined' && charge.declineCode === 'canceled')) {
    await tx
      .update(acquirerCharges)
      .set({ status: 'declined', declineCode: 'canceled', voidedAt: charge.voidedAt ?? now, updatedAt: now })
      .where(eq(acquirerCharges.id, chargeId));
    return {
      status: 200,
      body: { chargeId, status: 'canceled', refundId: null, amountMinor: 0, currency: charge.currency },
    };
  }
  if (charge.status !== 'approved')
    throw new HttpError(409, 'charge_not_voidable', 'A declined charge took no money and cannot be voided.');
  const remaining = charge.amountMinor - charge.refundedMinor;
  let refundId: string | null = null;
  if (remaining > 0) {
    refundId = publicId('re');
    await tx.insert(acquirerRefunds).values({
      id: refundId,
      chargeId,
      amountMinor: remaining,
      currency: charge.currency,
      kind: 'void',
      createdAt: now,
    });
  }
  // A voided charge is not disputed afterwards: the money is back with the card holder.
  await tx
    .update(acquirerCharges)
    .set({
      refundedMinor: charge.amountMinor,
      voidedAt: charge.voidedAt ?? now,
      disputeDueAt: charge.disputedAt ? charge.disputeDueAt : null,
      updatedAt: now,
    })
    .where(eq(acquirerCharges.id, chargeId));
  return {
    status: 200,
    body: { chargeId, status: 'voided', refundId, amountMinor: remaining, currency: charge.currency },
  };
}

/** GET /v1/disputes?since=&limit=: oldest first, since inclusive. */
export async function listDisputes(deps: OperationDeps, query: URLSearchParams): Promise<Reply> {
  const sinceRaw = query.get('since');
  const since = sinceRaw === null ? new Date(0) : new Date(sinceRaw);
  if (Number.isNaN(since.getTime())) throw invalid('since', 'an ISO 8601 date-time');
  const limitRaw = query.get('limit') ?? '100';
  const limit = Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit', 'an integer from 1 to 1000');
  const rows = await deps.db
    .select({ dispute: acquirerDisputes, chargeIdempotencyKey: acquirerCharges.idempotencyKey })
    .from(acquirerDisputes)
    .innerJoin(acquirerCharges, eq(acquirerCharges.id, acquirerDisputes.chargeId))
    .where(and(eq(acquirerDisputes.account, deps.keys.account), gte(acquirerDisputes.createdAt, since)))
    .orderBy(asc(acquirerDisputes.createdAt), asc(acquirerDisputes.id))
    .limit(limit + 1);
  return {
    status: 200,
    body: {
      data: rows.slice(0, limit).map((r) => disputeJson(r.dispute, r.chargeIdempotencyKey)),
      hasMore: rows.length > limit,
    },
  };
}

/** POST /v1/webhook_endpoints: registers a callback URL for disputes (the same URL twice is one endpoint). */
export async function registerWebhookEndpoint(deps: OperationDeps, tx: Executor, input: unknown): Promise<Reply> {
  const body = asObject(input);
  const url = body.url;
  if (typeof url !== 'string' || url.length > 2000 || !/^https?:\/\//.test(url) || !URL.canParse(url))
    throw invalid('url', 'an http(s) URL');
  const account = deps.keys.account;
  await tx
    .insert(acquirerWebhookEndpoints)
    .values({ id: publicId('we'), account, url, createdAt: deps.clock.now() })
    .onConflictDoNothing();
  const [row] = await tx
    .select()
    .from(acquirerWebhookEndpoints)
    .where(and(eq(acquirerWebhookEndpoints.account, account), eq(acquirerWebhookEndpoints.url, url)));
  return { status: 200, body: { id: row?.id, url } };
}

export async function deleteWebhookEndpoint(deps: OperationDeps, id: string): Promise<Reply> {
  const deleted = await deps.db
    .delete(acquirerWebhookEndpoints)
    .where(and(eq(acquirerWebhookEndpoints.account, deps.keys.account), eq(acquirerWebhookEndpoints.id, id)))
    .returning();
  if (deleted.length === 0) throw new HttpError(404, 'no_such_endpoint', 'No webhook endpoint has this id.');
  return { status: 204, body: null };
}
