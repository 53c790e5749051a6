// POST /v1/charges in two round trips to the database instead of seven drizzle statements: the hot call of
// every one-tap purchase, sharing the API's CPU in `npm start`. Same rules as the general path (server.ts
// idempotent() + operations.createCharge), which still answers every request this one does not take.
import type { IncomingMessage } from 'node:http';
import { requestHash } from './crypto.js';
import { deadlineError, replayReply, type Reply } from './http.js';
import {
  cardFacts,
  chargeJson,
  decideCharge,
  parseChargeInput,
  publicId,
  type CardFacts,
  type ChargeInput,
  type ChargeOutcome,
  type OperationDeps,
} from './operations.js';
import { literal, type PreparedStatement, type RawSql, type Rows } from './raw-sql.js';

const CARD_CACHE_SIZE = 10_000;

/** Cards charged lately, by token. Cards are never updated or deleted, so what was read stays true. */
export class CardCache {
  private readonly cards = new Map<string, CardFacts>();

  get(token: string): CardFacts | undefined {
    return this.cards.get(token);
  }

  set(facts: CardFacts): void {
    // Oldest first out: a Map iterates in insertion order.
    if (this.cards.size >= CARD_CACHE_SIZE) this.cards.delete(this.cards.keys().next().value as string);
    this.cards.set(facts.token, facts);
  }
}

export interface FastChargeDeps {
  readonly ops: OperationDeps;
  readonly sql: RawSql;
  readonly cards: CardCache;
}

/** Tokens as publicId('tok') makes them: any other names no card. */
const TOKEN = /^tok_[A-Za-z0-9_-]{1,96}$/;

const CARD_SQL =
  'select token, number_ciphertext, cvc_verifier, exp_month, exp_year from acquirer_cards where account = $1 and token = $2';

const STORED_SQL = `select request_hash, response_status, response_body from acquirer_idempotency_keys
  where account = $1 and operation = 'charges' and key = $2`;

/**
 * Planned once per connection (SQL PREPARE), run by EXECUTE inside the scripts. acquirer_charge reads the
 * answer stored under the key and, only when there is none, inserts the charge and the answer: data-modifying
 * CTEs run whether or not the outer select reads them. One snapshot for all three, taken after the lock.
 */
const PREPARED: readonly PreparedStatement[] = [
  // The lock of operations.lockIdempotencyKey (the general path and the lookup by key).
  { name: 'acquirer_lock_key', text: '(text) as select pg_advisory_xact_lock(hashtextextended($1, 0))' },
  { name: 'acquirer_stored_charge_key', text: `(text, text) as ${STORED_SQL}` },
  {
    name: 'acquirer_charge',
    text: `(text, text, text, text, bigint, text, text, text, text, timestamptz, timestamptz, text, jsonb) as
      with stored as (${STORED_SQL}),
      charge as (
        insert into acquirer_charges (id, account, idempotency_key, card_token, amount_minor, currency, status, decline_code, risk, dispute_due_at, created_at, updated_at)
        select $3, $1, $2, $4, $5, $6, $7, $8, $9, $10, $11, $11
        where not exists (select from stored)
      ),
      answer as (
        insert into acquirer_idempotency_keys (account, operation, key, request_hash, response_status, response_body, created_at)
        select $1, 'charges', $2, $12, 201, $13, $11
        where not exists (select from stored)
      )
      select request_hash, response_status, response_body from stored`,
  },
];

async function cardOf(deps: FastChargeDeps, token: string): Promise<CardFacts | null> {
  const cached = deps.cards.get(token);
  if (cached) return cached;
  // Outside the charge's transaction: a card row never changes once written.
  const [row] = await deps.sql.query('acquirer_card_for_charge', CARD_SQL, [deps.ops.keys.account, token]);
  if (!row) return null;
  const facts = cardFacts(deps.ops.keys, {
    token: row.token as string,
    numberCiphertext: row.number_ciphertext as string,
    cvcVerifier: row.cvc_verifier as string,
    expMonth: Number(row.exp_month),
    expYear: Number(row.exp_year),
  });
  deps.cards.set(facts);
  return facts;
}

function storedKeyOf(
  rows: Rows | undefined,
): { requestHash: string; responseStatus: number; responseBody: unknown } | null {
  const row = rows?.[0];
  if (!row) return null;
  return {
    requestHash: row.request_hash as string,
    responseStatus: Number(row.response_status),
    responseBody: row.response_body,
  };
}

function orNull(value: string | null | undefined): string {
  return value === null || value === undefined ? 'null' : literal(value);
}

/**
 * Runs a charge whose body is valid and whose card exists (and is not the processing-error card) under its
 * Idempotency-Key; null for any other request, which the general path then answers in its own order (a stored
 * key's replay or 422 before a 400 or 404).
 *
 * Round trip 1: `begin` and the key's advisory lock. Then the deadline is checked, holding the lock, as the
 * general path does. Round trip 2: acquirer_charge (the stored answer, or the charge and its answer) and `commit`.
 */
export async function fastCharge(
  deps: FastChargeDeps,
  req: IncomingMessage,
  path: string,
  key: string,
  body: unknown,
): Promise<ChargeOutcome | null> {
  let input: ChargeInput;
  try {
    input = parseChargeInput(body);
  } catch {
    return null;
  }
  if (!TOKEN.test(input.token)) return null;
  const card = await cardOf(deps, input.token);
  if (!card || card.behaviour.processingError) return null;

  const { keys, clock } = deps.ops;
  const hash = requestHash(keys, 'POST', path, body);
  const account = literal(keys.account);
  const keyLiteral = literal(key);

  return deps.sql.transaction(async (tx) => {
    await tx.begin(`execute acquirer_lock_key(${literal(`acquirer:${keys.account}:charges:${key}`)})`);
    const late = deadlineError(req);
    if (late) {
      // A stored answer is still replayed past the deadline; otherwise nothing is done.
      const [rows] = await tx.commit(`execute acquirer_stored_charge_key(${account}, ${keyLiteral})`);
      const stored = storedKeyOf(rows);
      if (stored) return { reply: replayReply(stored, hash), disputeDueAt: null };
      throw late;
    }

    const now = clock.now();
    const decision = decideCharge(deps.ops, card, input.cvc, now);
    const id = publicId('ch');
    const reply: Reply = {
      status: 201,
      body: chargeJson({
        id,
        ...decision,
        amountMinor: input.amountMinor,
        currency: input.currency,
        refundedMinor: 0,
        idempotencyKey: key,
        createdAt: now,
      }),
    };
    const [rows] = await tx.commit(
      `execute acquirer_charge(${account}, ${keyLiteral}, ${literal(id)}, ${literal(card.token)}, ${String(input.amountMinor)}, ` +
        `${literal(input.currency)}, ${literal(decision.status)}, ${orNull(decision.declineCode)}, ${literal(decision.risk)}, ` +
        `${orNull(decision.disputeDueAt?.toISOString())}, ${literal(now.toISOString())}, ${literal(hash)}, ${literal(JSON.stringify(reply.body))})`,
    );
    const stored = storedKeyOf(rows);
    if (stored) return { reply: replayReply(stored, hash), disputeDueAt: null };
    return { reply, disputeDueAt: decision.disputeDueAt };
  }, PREPARED);
}
