import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Agent, request } from 'undici';
import { z } from 'zod';
import type { Logger } from 'pino';
import {
  AcquirerRejectedError,
  AcquirerUnavailableError,
  type Acquirer,
  type CardDetails,
  type ChargeRequest,
  type ChargeResult,
  type ConfirmChargeRequest,
  type Dispute,
  type DisputeCallback,
  type ListDisputesRequest,
  type RefundRequest,
  type RefundResult,
  type TokenizeResult,
  type VoidRequest,
  type VoidResult,
} from '../../shared/acquirer-port.js';
import { traceContextHeaders } from '../../shared/tracing.js';

export interface HttpAcquirerOptions {
  /** The acquirer's base URL, e.g. `http://127.0.0.1:4100`. */
  readonly baseUrl: string;
  /** The shared secret (Bearer credential and dispute-callback signing key). */
  readonly secret: string;
  /** Time to open a TCP connection (default 2 s); a connect failure means the request was never sent. */
  readonly connectTimeoutMs?: number;
  /** Time for one attempt from sending to the last byte of the answer (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts per call, for calls that are safe to repeat (all of them: reads, and POSTs under an idempotency key). Default 3. */
  readonly maxAttempts?: number;
  /** First backoff between attempts, doubled each time, with jitter (default 100 ms). */
  readonly backoffMs?: number;
  /** How old a dispute callback may be (default 300 s). */
  readonly callbackToleranceSeconds?: number;
  readonly logger?: Logger;
}

const chargeSchema = z.object({
  chargeId: z.string(),
  status: z.enum(['approved', 'declined', 'requires_action']),
  declineCode: z.string().optional(),
  risk: z.enum(['normal', 'elevated', 'highest']),
  amountMinor: z.number().int(),
  currency: z.string(),
  refundedMinor: z.number().int(),
  idempotencyKey: z.string(),
});
const tokenSchema = z.object({
  token: z.string(),
  brand: z.string(),
  last4: z.string(),
  expMonth: z.number().int(),
  expYear: z.number().int(),
});
const refundSchema = z.object({
  refundId: z.string(),
  chargeId: z.string(),
  amountMinor: z.number().int(),
  currency: z.string(),
  status: z.literal('succeeded'),
});
const voidSchema = z.object({
  chargeId: z.string(),
  status: z.enum(['voided', 'canceled']),
  refundId: z.string().nullable(),
  amountMinor: z.number().int(),
  currency: z.string(),
});
const disputeSchema = z.object({
  disputeId: z.string(),
  chargeId: z.string(),
  chargeIdempotencyKey: z.string(),
  amountMinor: z.number().int(),
  currency: z.string(),
  reason: z.string(),
  status: z.literal('needs_response'),
  createdAt: z.iso.datetime(),
});
const errorSchema = z.object({
  error: z
    .object({
      code: z.string(),
      message: z.string().optional(),
      declineCode: z.string().optional(),
      outcome: z.string().optional(),
    })
    .loose(),
});

/** Network errors raised before a single byte of the request left: the acquirer cannot have acted. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

interface Call {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  /** A charge key whose in-flight attempts lookupCharge must wait out. */
  readonly chargeKey?: string;
  /** The caller's own last instant for the acquirer to act (epoch ms); the attempt deadline never exceeds it. */
  readonly notAfter?: number;
}

interface Answer {
  readonly status: number;
  readonly json: unknown;
}

/** The Acquirer port over HTTP (undici.request), with connect/read timeouts and retries that cannot charge twice. */
export class HttpAcquirer implements Acquirer {
  private readonly baseUrl: string;
  private readonly dispatcher: Agent;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly toleranceSeconds: number;
  /** Charge key → latest deadline of an attempt whose fate we did not learn; lookups wait these out. */
  private readonly unsettled = new Map<string, number>();

  constructor(private readonly options: HttpAcquirerOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.backoffMs = options.backoffMs ?? 100;
    this.toleranceSeconds = options.callbackToleranceSeconds ?? 300;
    this.dispatcher = new Agent({
      connect: { timeout: options.connectTimeoutMs ?? 2_000 },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      // Below the acquirer's 5 s keep-alive, so that a socket it is closing is not reused.
      keepAliveTimeout: 4_000,
    });
  }

  async tokenizeCard(card: CardDetails): Promise<TokenizeResult> {
    const answer = await this.call({
      name: 'tokenize',
      method: 'POST',
      path: '/v1/tokens',
      body: {
        number: card.number,
        expMonth: card.expMonth,
        expYear: card.expYear,
        cvc: card.cvc,
        holderName: card.holderName,
      },
      // A fresh key per call: its retries replay one verification instead of making several tokens.
      idempotencyKey: `tok-${randomUUID()}`,
    });
    if (answer.status === 402) {
      const error = errorSchema.safeParse(answer.json);
      return { ok: false, declineCode: (error.success && error.data.error.declineCode) || 'generic_decline' };
    }
    const token = this.parse(tokenSchema, answer, true);
    return { ok: true, ...token };
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const answer = await this.call({
      name: 'charge',
      method: 'POST',
      path: '/v1/charges',
      body: {
        token: request.token,
        amountMinor: request.amountMinor,
        currency: request.currency,
        ...(request.cvc !== undefined ? { cvc: request.cvc } : {}),
      },
      idempotencyKey: request.idempotencyKey,
      chargeKey: request.idempotencyKey,
      notAfter: request.notAfter?.getTime(),
    });
    return this.parse(chargeSchema, answer, true);
  }

  async confirmCharge(request: ConfirmChargeRequest): Promise<ChargeResult> {
    const charge = await this.lookupCharge(request.idempotencyKey);
    if (!charge)
      throw new AcquirerRejectedError('No charge was made with this idempotency key.', 404, 'no_such_charge');
    if (charge.status !== 'requires_action') return charge;
    try {
      const answer = await this.call({
        name: 'confirm',
        method: 'POST',
        path: `/v1/charges/${encodeURIComponent(charge.chargeId)}/confirm`,
        body: { cvc: request.cvc },
        idempotencyKey: `${request.idempotencyKey}:confirm`,
        chargeKey: request.idempotencyKey,
        notAfter: request.notAfter?.getTime(),
      });
      return this.parse(chargeSchema, answer, true);
    } catch (error) {
      // Confirmed before with another CVC: the charge is settled either way, so report where it stands.
      if (error instanceof AcquirerRejectedError && error.code === 'idempotency_key_reused') {
        const current = await this.lookupCharge(request.idempotencyKey);
        if (current) return current;
      }
      throw error;
    }
  }

  async lookupCharge(idempotencyKey: string): Promise<ChargeResult | null> {
    const unsettledUntil = this.unsettled.get(idempotencyKey);
    if (unsettledUntil !== undefined) {
      // An attempt of ours may still be on its way; past its deadline the acquirer refuses it, so the answer is final.
      const wait = unsettledUntil - Date.now() + 1;
      if (wait > 0) await delay(wait);
      this.unsettled.delete(idempotencyKey);
    }
    const answer = await this.call({
      name: 'lookup',
      method: 'GET',
      path: `/v1/charges?idempotency_key=${encodeURIComponent(idempotencyKey)}`,
    }).catch((error: unknown) => {
      if (error instanceof AcquirerRejectedError && error.httpStatus === 404) return null;
      throw error;
    });
    return answer === null ? null : this.parse(chargeSchema, answer, false);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const answer = await this.call({
      name: 'refund',
      method: 'POST',
      path: `/v1/charges/${encodeURIComponent(request.chargeId)}/refunds`,
      body: { amountMinor: request.amountMinor },
      idempotencyKey: request.idempotencyKey,
    });
    return this.parse(refundSchema, answer, true);
  }

  async voidCharge(request: VoidRequest): Promise<VoidResult> {
    const answer = await this.call({
      name: 'void',
      method: 'POST',
      path: `/v1/charges/${encodeURIComponent(request.chargeId)}/void`,
      body: {},
      idempotencyKey: request.idempotencyKey,
    });
    return this.parse(voidSchema, answer, true);
  }

  async listDisputes(request: ListDisputesRequest): Promise<Dispute[]> {
    const query = new URLSearchParams({ since: request.since.toISOString(), limit: String(request.limit ?? 100) });
    const answer = await this.call({ name: 'disputes', method: 'GET', path: `/v1/disputes?${query}` });
    const page = this.parse(z.object({ data: z.array(disputeSchema) }), answer, false);
    return page.data.map(toDispute);
  }

  async registerDisputeCallback(url: string): Promise<void> {
    await this.call({
      name: 'register_callback',
      method: 'POST',
      path: '/v1/webhook_endpoints',
      body: { url },
      idempotencyKey: `endpoint-${createHash('sha256').update(url).digest('base64url')}`,
    });
  }

  parseDisputeCallback(callback: DisputeCallback): Dispute {
    const header = (name: string): string => {
      const value = callback.headers instanceof Headers ? callback.headers.get(name) : callback.headers[name];
      return (Array.isArray(value) ? value[0] : value) ?? '';
    };
    const id = header('webhook-id');
    const timestamp = header('webhook-timestamp');
    const signatures = header('webhook-signature');
    const forged = (why: string): AcquirerRejectedError =>
      new AcquirerRejectedError(`Dispute callback refused: ${why}.`, 400, 'invalid_signature');
    if (!id || !/^[0-9]{1,12}$/.test(timestamp) || !signatures) throw forged('missing webhook headers');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > this.toleranceSeconds)
      throw forged('timestamp outside the tolerance');
    const expected = createHmac('sha256', this.options.secret)
      .update(`${id}.${timestamp}.${callback.rawBody}`)
      .digest();
    const valid = signatures.split(' ').some((entry) => {
      const [version, value] = entry.split(',');
      if (version !== 'v1' || !value) return false;
      const given = Buffer.from(value, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!valid) throw forged('bad signature');
    let payload: unknown;
    try {
      payload = JSON.parse(callback.rawBody);
    } catch {
      throw forged('body is not JSON');
    }
    const parsed = z.object({ type: z.literal('dispute.created'), data: disputeSchema }).safeParse(payload);
    if (!parsed.success || parsed.data.data.disputeId !== id) throw forged('unexpected payload');
    return toDispute(parsed.data.data);
  }

  /** Closes the keep-alive connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** Parses a 2xx answer; a malformed one means we cannot tell what happened. */
  private parse<T>(schema: z.ZodType<T>, answer: Answer, effect: boolean): T {
    const parsed = schema.safeParse(answer.json);
    if (!parsed.success) {
      throw new AcquirerUnavailableError(
        `The acquirer answered HTTP ${answer.status} with an unexpected body.`,
        effect,
        answer.status,
        'bad_response',
      );
    }
    return parsed.data;
  }

  /**
   * One logical call with bounded retries. Every POST carries an idempotency key, so repeating it cannot
   * act twice; a timed-out attempt is not repeated (its budget is spent; look the charge up instead).
   * 4xx (but 402, a decline) → AcquirerRejectedError; failures → AcquirerUnavailableError whose
   * outcomeUnknown is true when any attempt of a POST may have acted.
   */
  private async call(call: Call): Promise<Answer> {
    const effect = call.method === 'POST';
    let mayHaveActed = false;
    let lastError: AcquirerUnavailableError | null = null;
    // An attempt that got any HTTP answer is over at the acquirer; one lost on the wire may still land until its deadline.
    let lostOnTheWire = false;
    let latestDeadline = 0;
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
        if (attempt > 1) await delay(this.backoffMs * 2 ** (attempt - 2) * (0.75 + Math.random() / 2));
        const started = Date.now();
        latestDeadline = Math.min(started + this.timeoutMs, call.notAfter ?? Infinity);
        if (latestDeadline <= started) {
          // Past the caller's own deadline: not sent, so certainly not acted on.
          throw new AcquirerUnavailableError(
            'The request was not sent: its deadline had passed.',
            mayHaveActed,
            null,
            'deadline_passed',
          );
        }
        if (call.chargeKey) this.markUnsettled(call.chargeKey, latestDeadline);
        let status: number;
        let text: string;
        // undici.request rather than fetch: no WHATWG Request/Response/AbortSignal per call (a sixth of fetch's
        // CPU, bench/RESULTS.md). One plain timer aborts the whole attempt (connect, headers, body) when its
        // budget runs out, as AbortSignal.timeout did; headers/body timeouts are the same bound, kept as a backstop.
        const budget = Math.max(1, latestDeadline - started);
        const abort = new EventEmitter();
        let budgetSpent = false;
        const timer = setTimeout(() => {
          budgetSpent = true;
          abort.emit('abort');
        }, budget);
        try {
          const response = await request(`${this.baseUrl}${call.path}`, {
            method: call.method,
            headers: {
              authorization: `Bearer ${this.options.secret}`,
              accept: 'application/json',
              'acquirer-deadline': String(latestDeadline),
              ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...(call.idempotencyKey ? { 'idempotency-key': call.idempotencyKey } : {}),
              // W3C traceparent of the active span (traced-acquirer.ts); nothing without an OTel SDK
              ...traceContextHeaders(),
            },
            body: call.body !== undefined ? JSON.stringify(call.body) : null,
            headersTimeout: budget,
            bodyTimeout: budget,
            signal: abort,
            dispatcher: this.dispatcher,
          });
          status = response.statusCode;
          text = await response.body.text();
        } catch (error) {
          const failure = budgetSpent ? TIMED_OUT : describeNetworkError(error);
          mayHaveActed ||= effect && failure.sent;
          lostOnTheWire ||= failure.sent;
          lastError = new AcquirerUnavailableError(
            `Acquirer ${call.name} failed: ${failure.code}.`,
            mayHaveActed,
            null,
            failure.code,
          );
          this.options.logger?.warn(
            { call: call.name, attempt, code: failure.code, ms: Date.now() - started },
            'acquirer call failed',
          );
          if (failure.timedOut) break;
          continue;
        } finally {
          clearTimeout(timer);
        }
        let json: unknown = null;
        try {
          json = text === '' ? null : JSON.parse(text);
        } catch {
          json = null;
        }
        this.options.logger?.debug({ call: call.name, attempt, status, ms: Date.now() - started }, 'acquirer call');
        if (status >= 500) {
          const error = errorSchema.safeParse(json);
          const nothingDone = error.success && error.data.error.outcome === 'none';
          mayHaveActed ||= effect && !nothingDone;
          const code = error.success ? error.data.error.code : `http_${status}`;
          lastError = new AcquirerUnavailableError(
            `Acquirer ${call.name} failed: HTTP ${status} ${code}.`,
            mayHaveActed,
            status,
            code,
          );
          this.options.logger?.warn({ call: call.name, attempt, status, code }, 'acquirer call failed');
          continue;
        }
        if (status >= 400 && status !== 402) {
          const error = errorSchema.safeParse(json);
          const code = error.success ? error.data.error.code : `http_${status}`;
          const message = error.success && error.data.error.message ? error.data.error.message : `HTTP ${status}`;
          throw new AcquirerRejectedError(`Acquirer refused ${call.name}: ${message}`, status, code);
        }
        return { status, json };
      }
      throw lastError ?? new AcquirerUnavailableError(`Acquirer ${call.name} failed.`, effect, null);
    } finally {
      if (call.chargeKey && !lostOnTheWire && (this.unsettled.get(call.chargeKey) ?? 0) <= latestDeadline) {
        this.unsettled.delete(call.chargeKey);
      }
    }
  }

  private markUnsettled(key: string, deadline: number): void {
    if (this.unsettled.size > 10_000) {
      const now = Date.now();
      for (const [k, until] of this.unsettled) if (until < now) this.unsettled.delete(k);
    }
    this.unsettled.set(key, Math.max(deadline, this.unsettled.get(key) ?? 0));
  }
}

/** Builds the HTTP acquirer client. */
export function createHttpAcquirer(options: HttpAcquirerOptions): HttpAcquirer {
  return new HttpAcquirer(options);
}

function toDispute(data: z.infer<typeof disputeSchema>): Dispute {
  return { ...data, createdAt: new Date(data.createdAt) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface NetworkFailure {
  readonly code: string;
  readonly sent: boolean;
  readonly timedOut: boolean;
}

/** The attempt's budget ran out: it may have been sent and acted on, and its budget is spent. */
const TIMED_OUT: NetworkFailure = { code: 'timeout', sent: true, timedOut: true };

/** What went wrong on the wire, and whether the request can have reached the acquirer. */
function describeNetworkError(error: unknown): NetworkFailure {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return TIMED_OUT;
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth += 1) {
    const code = (cause as Error & { code?: unknown }).code;
    if (typeof code === 'string') {
      if (NOT_SENT_CODES.has(code)) return { code, sent: false, timedOut: false };
      // the attempt's budget ran out (undici.request's headersTimeout/bodyTimeout)
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return TIMED_OUT;
      return { code, sent: true, timedOut: false };
    }
    cause = cause.cause;
  }
  return { code: 'network_error', sent: true, timedOut: false };
}
