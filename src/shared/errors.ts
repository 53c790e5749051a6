/**
 * Domain errors: expected business outcomes with a stable code. The GraphQL layer maps each
 * class to a typed union member in one place (src/graphql/errors.ts); anything else is masked.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** Whether the same request may succeed later. */
  readonly retryable: boolean = false;
  readonly retryAfterSeconds: number | null = null;
}

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly issues: readonly FieldIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ') || 'Invalid input.');
  }
  static field(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(readonly what: string) {
    super(`${what} not found.`);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'Missing, invalid or expired credentials.') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'These credentials may not do that.') {
    super(message);
  }
}

export class EmailTakenError extends DomainError {
  readonly code = 'EMAIL_TAKEN';
  constructor() {
    super('An account with this email already exists.');
  }
}

export class InvalidCredentialsError extends DomainError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('Email or password is incorrect.');
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  constructor(message: string) {
    super(message);
  }
}

/**
 * The quota a refusal ran into, as the IETF RateLimit header fields advertise it
 * (RateLimit-Policy: "<name>";q=<quota>;w=<windowSeconds>).
 */
export interface RateLimitPolicy {
  /** A short, fixed policy name (never an id): "login", "cards_per_player"… */
  readonly name: string;
  /** How many are allowed per window. */
  readonly quota: number;
  readonly windowSeconds: number;
}

export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  override readonly retryable = true;
  override readonly retryAfterSeconds: number;
  constructor(
    retryAfterSeconds: number,
    message = 'Too many attempts. Try again later.',
    /** The quota that was used up, for the RateLimit-Policy and RateLimit response headers. */
    readonly policy: RateLimitPolicy | null = null,
  ) {
    super(message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  override readonly retryable = true;
  override readonly retryAfterSeconds: number;
  constructor(
    message = 'A service Coinslot depends on is unavailable. Nothing was charged; try again.',
    retryAfterSeconds = 2,
  ) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class CardInvalidError extends DomainError {
  readonly code = 'CARD_INVALID';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Card ${field} is invalid: ${reason}.`);
  }
}

export class CardDeclinedError extends DomainError {
  readonly code = 'CARD_DECLINED';
  constructor(
    readonly declineCode: string,
    readonly purchaseId: string | null = null,
  ) {
    super(`The card was declined (${declineCode}).`);
  }
}

export class PriceChangedError extends DomainError {
  readonly code = 'PRICE_CHANGED';
  constructor(readonly currentPrice: { amountMinor: number; currency: string }) {
    super('The price has changed; show the new price and ask again.');
  }
}

export class OutOfStockError extends DomainError {
  readonly code = 'OUT_OF_STOCK';
  constructor(readonly available: number) {
    super('Not enough of this item is left.');
  }
}

export class LimitReachedError extends DomainError {
  readonly code = 'LIMIT_REACHED';
  constructor(message = 'The player already has as many of this item as allowed.') {
    super(message);
  }
}

export class NoCardOnFileError extends DomainError {
  readonly code = 'NO_CARD_ON_FILE';
  constructor() {
    super('The player has no card on file.');
  }
}

export class InsufficientFundsError extends DomainError {
  readonly code = 'INSUFFICIENT_FUNDS';
  constructor(readonly balance: { amountMinor: number; currency: string }) {
    super('The wallet balance is too low.');
  }
}

export class RiskBlockedError extends DomainError {
  readonly code = 'RISK_BLOCKED';
  override readonly retryAfterSeconds: number | null;
  constructor(
    readonly rulesFired: readonly string[],
    retryAfterSeconds: number | null,
    what = 'This purchase',
  ) {
    // players read the wait in minutes or hours; retryAfterSeconds stays seconds for machines
    super(
      `${what} was blocked by risk checks.${retryAfterSeconds === null ? '' : ` Try again in ${waitPhrase(retryAfterSeconds)}.`}`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A wait as players read it: "1 minute", "45 minutes", "2 hours", "1 hour 30 minutes" (rounded up to a minute). */
export function waitPhrase(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  // from 3 hours on, minutes are noise: round up to the hour
  if (hours >= 3) return plural(rest > 0 ? hours + 1 : hours, 'hour');
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('This idempotency key was already used for a different request.');
  }
}

export class IdempotencyInProgressError extends DomainError {
  readonly code = 'IDEMPOTENCY_IN_PROGRESS';
  override readonly retryable = true;
  override readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds = 1) {
    super('A request with this idempotency key is still in progress.');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class InvalidStateError extends DomainError {
  readonly code = 'INVALID_STATE';
  constructor(message: string) {
    super(message);
  }
}

export class InsufficientQuantityError extends DomainError {
  readonly code = 'INSUFFICIENT_QUANTITY';
  constructor(readonly available: number) {
    super('The player does not hold that many of this item.');
  }
}
