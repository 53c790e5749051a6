import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { MoneyRef } from './scalars.js';
import * as errors from '../shared/errors.js';
import { publicIdOrNull } from '../shared/public-ids.js';

/** Every error type implements Error; retryable ones also say when to retry. */
export const ErrorInterface = builder.interfaceRef<errors.DomainError>('Error').implement({
  description:
    'A typed error: the operation did not do what was asked, and says why. Switch on `__typename` (or `code`); the concrete type may carry more fields.',
  fields: (t) => ({
    message: t.exposeString('message', {
      description: 'A sentence a player or developer can read, in English; do not parse it.',
    }),
    code: t.exposeString('code', {
      description: 'A stable machine-readable code, such as CARD_DECLINED; the same as `extensions.code` when thrown.',
    }),
  }),
});

const RetryableInterface = builder.interfaceRef<errors.DomainError>('RetryableError').implement({
  description: 'An error after which the same request may succeed later.',
  fields: (t) => ({
    retryable: t.exposeBoolean('retryable', {
      description: 'True when sending the same request again later may succeed.',
    }),
    retryAfterSeconds: t.int({
      nullable: true,
      description: 'Seconds to wait before trying again (also sent as Retry-After); null when unknown.',
      resolve: (e) => e.retryAfterSeconds,
    }),
  }),
});

const FieldIssueRef = builder.objectRef<errors.FieldIssue>('FieldIssue').implement({
  description: 'One problem with one input field.',
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Where the problem is, e.g. "input.prices.0.amount".' }),
    message: t.exposeString('message', { description: 'What is wrong with it, such as "must be at least 1".' }),
  }),
});

builder.objectType(errors.ValidationError, {
  name: 'ValidationError',
  description:
    'The input was refused before anything happened (VALIDATION_FAILED); fix the fields listed and send it again.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fieldErrors: t.field({
      type: [FieldIssueRef],
      description: 'Every problem found, one per field.',
      resolve: (e) => [...e.issues],
    }),
  }),
});
/** Registers an error class whose GraphQL type carries only the common fields. */
function plainError(
  cls: abstract new (...args: never[]) => errors.DomainError,
  name: string,
  description: string,
  retryable = false,
): void {
  builder.objectType(cls as unknown as new () => errors.DomainError, {
    name,
    description,
    interfaces: retryable ? [ErrorInterface, RetryableInterface] : [ErrorInterface],
    fields: () => ({}),
  });
}

plainError(
  errors.NotFoundError,
  'NotFound',
  "NOT_FOUND: no such object, or one these credentials may not see (another game's purchase looks the same as none).",
);
plainError(
  errors.ForbiddenError,
  'Forbidden',
  'FORBIDDEN: these credentials may not do this, e.g. a player reading the catalog without a game token.',
);
plainError(
  errors.UnauthenticatedError,
  'Unauthenticated',
  'UNAUTHENTICATED: no credentials, or a session, token or key that is expired, revoked or unknown.',
);
plainError(
  errors.EmailTakenError,
  'EmailTaken',
  'EMAIL_TAKEN: an account with this email already exists; log in instead.',
);
plainError(
  errors.InvalidCredentialsError,
  'InvalidCredentials',
  'INVALID_CREDENTIALS: the email or the password is wrong (which one is not said).',
);
plainError(
  errors.ConflictError,
  'Conflict',
  'CONFLICT: the change clashes with the current state of what it changes; read it again and decide.',
);
plainError(
  errors.LimitReachedError,
  'LimitReached',
  'LIMIT_REACHED: a per-player limit, such as maxPerPlayer, a durable item already owned or 20 cards on file; the message says which.',
);
plainError(
  errors.NoCardOnFileError,
  'NoCardOnFile',
  'NO_CARD_ON_FILE: the player has no card to charge; send them to add one.',
);
plainError(
  errors.IdempotencyKeyReusedError,
  'IdempotencyKeyReused',
  'IDEMPOTENCY_KEY_REUSED: this idempotency key was already used for a different request; use a new key per new request.',
);
plainError(
  errors.InvalidStateError,
  'InvalidState',
  'INVALID_STATE: the object is not in a state that allows this, e.g. confirming a purchase that already succeeded, expired or was canceled.',
);
plainError(
  errors.RateLimitedError,
  'RateLimited',
  'RATE_LIMITED: too many attempts in a short time (log-ins, cards added, API calls); wait retryAfterSeconds.',
  true,
);
plainError(
  errors.ServiceUnavailableError,
  'ServiceUnavailable',
  'SERVICE_UNAVAILABLE: something Coinslot depends on (the acquirer, the database, Redis) did not answer; nothing was charged; try again.',
  true,
);
plainError(
  errors.IdempotencyInProgressError,
  'IdempotencyInProgress',
  'IDEMPOTENCY_IN_PROGRESS: a request with this idempotency key is still running; retry the same request shortly to get its answer.',
  true,
);
builder.objectType(errors.CardInvalidError, {
  name: 'CardInvalid',
  description: 'CARD_INVALID: the card details are malformed (checked before the card goes to the acquirer).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Which input field: number, expMonth, expYear, cvc or holderName.' }),
    reason: t.exposeString('reason', {
      description: 'Why, as a code to show a message for: required, too_short, luhn_check_failed, expired…',
    }),
  }),
});
builder.objectType(errors.CardDeclinedError, {
  name: 'CardDeclined',
  description: 'CARD_DECLINED: the card issuer refused the charge or the card; nothing was charged.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    declineCode: t.exposeString('declineCode', {
      description: "The acquirer's reason, such as insufficient_funds or generic_decline.",
    }),
    purchaseId: t.id({
      nullable: true,
      description: 'The purchase that failed (pur_…, now FAILED), when the decline was on a purchase.',
      resolve: (e) => publicIdOrNull('Purchase', e.purchaseId),
    }),
  }),
});
builder.objectType(errors.PriceChangedError, {
  name: 'PriceChanged',
  description:
    'PRICE_CHANGED: the item costs something else than the player was shown; show the new price and ask again.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    currentPrice: t.field({ type: MoneyRef, description: 'The price now.', resolve: (e) => e.currentPrice }),
  }),
});
builder.objectType(errors.OutOfStockError, {
  name: 'OutOfStock',
  description: 'OUT_OF_STOCK: fewer units of the item are left than were asked for.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ available: t.exposeInt('available', { description: 'Units still for sale.' }) }),
});
builder.objectType(errors.InsufficientQuantityError, {
  name: 'InsufficientQuantity',
  description:
    'INSUFFICIENT_QUANTITY: the player holds fewer units of the item than were to be used up; nothing was used.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ available: t.exposeInt('available', { description: 'Units the player holds.' }) }),
});
builder.objectType(errors.InsufficientFundsError, {
  name: 'InsufficientFunds',
  description: "INSUFFICIENT_FUNDS: the player's wallet holds too little of the game currency for this item.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    balance: t.field({ type: MoneyRef, description: "The wallet's balance now.", resolve: (e) => e.balance }),
  }),
});
builder.objectType(errors.RiskBlockedError, {
  name: 'RiskBlocked',
  description:
    'RISK_BLOCKED: fraud checks refused this (too many purchases, declines or cards in a short time, a blocked player or card); nothing was charged. retryAfterSeconds says when a velocity limit lifts; null means a block that does not lift by itself.',
  interfaces: [ErrorInterface, RetryableInterface],
  fields: (t) => ({
    rulesFired: t.stringList({
      description: 'The fraud rules that decided it, such as purchases_per_hour, daily_amount or player_blocked.',
      resolve: (e) => [...e.rulesFired],
    }),
  }),
});

/** Errors every mutation can answer with as typed results. */
export const COMMON_ERRORS = [
  errors.ValidationError,
  errors.NotFoundError,
  errors.ForbiddenError,
  errors.RateLimitedError,
  errors.ServiceUnavailableError,
];

/**
 * The one place a thrown error becomes what the client sees: a DomainError keeps its message and
 * code (as extensions), a GraphQLError raised by validation or auth stays, anything else is masked.
 */
export function maskError(error: unknown, message: string): GraphQLError {
  const graphqlError = isGraphQLError(error) ? error : null;
  const original = graphqlError ? (graphqlError.originalError ?? graphqlError) : error;
  const location = graphqlError
    ? {
        nodes: graphqlError.nodes,
        path: graphqlError.path,
        source: graphqlError.source,
        positions: graphqlError.positions,
      }
    : {};
  if (original instanceof errors.DomainError) {
    const status =
      original instanceof errors.UnauthenticatedError
        ? 401
        : original instanceof errors.ForbiddenError
          ? 403
          : undefined;
    return new GraphQLError(original.message, {
      ...location,
      extensions: {
        code: original.code,
        ...(original.retryable ? { retryable: true, retryAfterSeconds: original.retryAfterSeconds } : {}),
        ...(original instanceof errors.ValidationError ? { fieldErrors: original.issues } : {}),
        ...(status ? { http: { status } } : {}),
        // yoga copies http.headers onto the response (and never shows `http` to the client);
        // retryable errors are never 401/403, so the two never meet
        ...(original.retryable ? { http: { headers: { 'retry-after': String(retryAfter(original)) } } } : {}),
      },
    });
  }
  // GraphQL's own errors (syntax, validation, scope-auth) are meant for the client as they are.
  if (graphqlError && !graphqlError.originalError) return graphqlError;
  // A GraphQLError wrapping another (a variable that did not coerce, an auth error located at its
  // field) stays the outer one: it names the variable or carries the path, and the HTTP status
  // (400 for variables) was set on it; its extensions already include the inner one's.
  if (graphqlError && isGraphQLError(graphqlError.originalError)) return graphqlError;
  return new GraphQLError(message, { ...location, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

/** Whole seconds to wait before retrying a retryable error (at least 1). */
function retryAfter(error: errors.DomainError): number {
  return Math.max(1, Math.ceil(error.retryAfterSeconds ?? 1));
}

/** By name as well as class: a test runner or bundler may load a second copy of graphql. */
function isGraphQLError(value: unknown): value is GraphQLError {
  return value instanceof GraphQLError || (value instanceof Error && value.name === 'GraphQLError');
}

/** For dataloaders: a missing row becomes a NotFound error in its place. */
export function orNotFound<T>(what: string): (rows: readonly (T | null)[]) => (T | Error)[] {
  return (rows) => rows.map((row) => row ?? new errors.NotFoundError(what));
}
