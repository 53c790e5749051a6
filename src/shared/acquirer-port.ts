/**
 * The acquirer port: how Coinslot verifies and charges cards. The HTTP implementation lives in
 * src/adapters/acquirer/http-acquirer.ts and talks to the sandbox acquirer (src/acquirer/).
 * Money is integer minor units (safe integers) with an ISO 4217 currency, as everywhere.
 */

export type ChargeStatus = 'approved' | 'declined' | 'requires_action';

/** The acquirer's own risk verdict on an approved charge; 'highest' should be voided by the platform. */
export type AcquirerRisk = 'normal' | 'elevated' | 'highest';

/** A card as the player typed it; travels to the acquirer once and is never kept by Coinslot. */
export interface CardDetails {
  readonly number: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvc: string;
  readonly holderName: string;
}

export type TokenizeResult =
  | {
      readonly ok: true;
      /** The acquirer's token for the card (`tok_…`): the only handle Coinslot keeps. */
      readonly token: string;
      /** card-validator's type name: 'visa', 'mastercard', 'american-express', 'discover'… */
      readonly brand: string;
      readonly last4: string;
      readonly expMonth: number;
      readonly expYear: number;
    }
  | {
      readonly ok: false;
      /** generic_decline, insufficient_funds, expired_card, incorrect_cvc, incorrect_number… */
      readonly declineCode: string;
    };

export interface ChargeRequest {
  readonly token: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** Coinslot uses the purchase id; the same key never charges twice and finds the charge again. */
  readonly idempotencyKey: string;
  /** When given, the acquirer checks it against the card (a wrong one declines incorrect_cvc). */
  readonly cvc?: string;
  /**
   * The latest instant the acquirer may act on this request; past it the request is refused with
   * nothing done (and not sent at all when already past). Coinslot sets it before its recovery
   * may conclude "no charge", so a stalled instance can never charge a purchase recovery failed.
   */
  readonly notAfter?: Date;
}

export interface ChargeResult {
  readonly status: ChargeStatus;
  /** `ch_…`; also present for declined and requires_action charges. */
  readonly chargeId: string;
  /** Set when declined: generic_decline, card_declined, expired_card, incorrect_cvc, canceled… */
  readonly declineCode?: string;
  readonly risk: AcquirerRisk;
  readonly amountMinor: number;
  readonly currency: string;
  /** Sum of the refunds (and a void) so far. */
  readonly refundedMinor: number;
  /** The idempotency key the charge was made with. */
  readonly idempotencyKey: string;
}

export interface ConfirmChargeRequest {
  /** The charge's own idempotency key (the purchase id). */
  readonly idempotencyKey: string;
  readonly cvc: string;
  /** As ChargeRequest.notAfter. */
  readonly notAfter?: Date;
}

export interface RefundRequest {
  readonly chargeId: string;
  readonly amountMinor: number;
  readonly idempotencyKey: string;
}

export interface RefundResult {
  readonly refundId: string;
  readonly chargeId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly status: 'succeeded';
}

export interface VoidRequest {
  readonly chargeId: string;
  readonly idempotencyKey: string;
}

export interface VoidResult {
  readonly chargeId: string;
  /**
   * 'voided': an approved charge was reversed in full (what was left unrefunded is refunded);
   * 'canceled': a requires_action charge was canceled before it took any money.
   */
  readonly status: 'voided' | 'canceled';
  /** The refund the void made; null when nothing was left to refund or nothing was charged. */
  readonly refundId: string | null;
  /** What this void gave back. */
  readonly amountMinor: number;
  readonly currency: string;
}

export interface Dispute {
  /** `dp_…`; deliveries may repeat, so consumers dedupe by this id. */
  readonly disputeId: string;
  readonly chargeId: string;
  /** The charge's idempotency key, i.e. Coinslot's purchase id. */
  readonly chargeIdempotencyKey: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly reason: string;
  readonly status: 'needs_response';
  readonly createdAt: Date;
}

export interface ListDisputesRequest {
  /** Inclusive lower bound on createdAt; pass the newest createdAt seen and dedupe by disputeId. */
  readonly since: Date;
  readonly limit?: number;
}

/** The headers and raw body of a dispute callback, as received by Coinslot's HTTP route. */
export interface DisputeCallback {
  readonly headers: Readonly<Record<string, string | string[] | undefined>> | Headers;
  readonly rawBody: string;
}

/**
 * What Coinslot needs from an acquirer. Every call may throw AcquirerUnavailableError (retryable;
 * check `outcomeUnknown`) or AcquirerRejectedError (the acquirer refused the request itself).
 * A decline is not an error: it is a result.
 */
export interface Acquirer {
  /** Verifies a card and returns a token, or the decline code of the verification. */
  tokenizeCard(card: CardDetails): Promise<TokenizeResult>;
  /** Charges a token once per idempotency key: repeating the call returns the first answer. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Completes a requires_action charge with the card's CVC; a charge no longer waiting is returned as it is. */
  confirmCharge(request: ConfirmChargeRequest): Promise<ChargeResult>;
  /**
   * The charge made with this idempotency key, or null when none was made and none is still in flight
   * at the acquirer (its own calls that timed out are waited for first).
   */
  lookupCharge(idempotencyKey: string): Promise<ChargeResult | null>;
  /** Refunds part or all of an approved charge; the sum of refunds never exceeds the charge. */
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Reverses a charge in full (used for risk 'highest'), or cancels one still requiring action. */
  voidCharge(request: VoidRequest): Promise<VoidResult>;
  /** Disputes raised since a time, oldest first (poll; the callback below pushes the same disputes). */
  listDisputes(request: ListDisputesRequest): Promise<Dispute[]>;
  /** Asks the acquirer to POST each new dispute to `url` (idempotent per URL). */
  registerDisputeCallback(url: string): Promise<void>;
  /** Checks a dispute callback's signature and freshness and returns its dispute; throws AcquirerRejectedError if forged. */
  parseDisputeCallback(callback: DisputeCallback): Dispute;
}

/**
 * The acquirer could not be reached or failed. Retryable. `outcomeUnknown` is true when the
 * operation may nevertheless have taken effect (sent, then timeout, dropped connection, 5xx without
 * the acquirer's "nothing done" marker): look the charge up by its idempotency key, or repeat the
 * call with the same key, before concluding anything.
 */
export class AcquirerUnavailableError extends Error {
  override readonly name = 'AcquirerUnavailableError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly outcomeUnknown: boolean,
    /** HTTP status when the acquirer answered, otherwise null. */
    readonly httpStatus: number | null = null,
    /** The acquirer's error code or the network error code (ECONNREFUSED, timeout…). */
    readonly code: string = 'unavailable',
  ) {
    super(message);
  }
}

/**
 * The acquirer refused the request as such (4xx): malformed input, unknown token or charge, a refund
 * beyond what is left (`amount_exceeds_refundable`), an idempotency key reused with another body
 * (`idempotency_key_reused`, HTTP 422), bad credentials. Repeating the same request will not help.
 */
export class AcquirerRejectedError extends Error {
  override readonly name = 'AcquirerRejectedError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly code: string,
  ) {
    super(message);
  }
}
