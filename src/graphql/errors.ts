import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { MoneyRef } from './scalars.js';
import * as errors from '../shared/errors.js';
import { publicIdOrNull } from '../shared/public-ids.js';

/** Every error type implements Error; retryable ones also say when to retry. */
export const ErrorInterface = builder.interfaceRef<errors.DomainError>('Error').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});

const RetryableInterface = builder.interfaceRef<errors.DomainError>('RetryableError').implement({
  description: 'An error after which the same request may succeed later.',
  fields: (t) => ({
    retryable: t.exposeBoolean('retryable'),
    retryAfterSeconds: t.int({ nullable: true, resolve: (e) => e.retryAfterSeconds }),
  }),
});

const FieldIssueRef = builder.objectRef<errors.FieldIssue>('FieldIssue').implement({
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Where the problem is, e.g. "input.prices.0.amount".' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(errors.ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ fieldErrors: t.field({ type: [FieldIssueRef], resolve: (e) => [...e.issues] }) }),
});
/** Registers an error class whose GraphQL type carries only the common fields. */
function plainError(cls: abstract new (...args: never[]) => errors.DomainError, name: string, retryable = false): void {
  builder.objectType(cls as unknown as new () => errors.DomainError, {
    name,
    interfaces: retryable ? [ErrorInterface, RetryableInterface] : [ErrorInterface],
    fields: () => ({}),
  });
}

plainError(errors.NotFoundError, 'NotFound');
plainError(errors.ForbiddenError, 'Forbidden');
plainError(errors.UnauthenticatedError, 'Unauthenticated');
plainError(errors.EmailTakenError, 'EmailTaken');
plainError(errors.InvalidCredentialsError, 'InvalidCredentials');
plainError(errors.ConflictError, 'Conflict');
plainError(errors.LimitReachedError, 'LimitReached');
plainError(errors.NoCardOnFileError, 'NoCardOnFile');
plainError(errors.IdempotencyKeyReusedError, 'IdempotencyKeyReused');
plainError(errors.InvalidStateError, 'InvalidState');
plainError(errors.RateLimitedError, 'RateLimited', true);
plainError(errors.ServiceUnavailableError, 'ServiceUnavailable', true);
plainError(errors.IdempotencyInProgressError, 'IdempotencyInProgress', true);
builder.objectType(errors.CardInvalidError, {
  name: 'CardInvalid',
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString('field'), reason: t.exposeString('reason') }),
});
builder.objectType(errors.CardDeclinedError, {
  name: 'CardDeclined',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    declineCode: t.exposeString('declineCode'),
    purchaseId: t.id({
      nullable: true,
      resolve: (e) => publicIdOrNull('Purchase', e.purchaseId),
    }),
  }),
});
builder.objectType(errors.PriceChangedError, {
  name: 'PriceChanged',
  interfaces: [ErrorInterface],
  fields: (t) => ({ currentPrice: t.field({ type: MoneyRef, resolve: (e) => e.currentPrice }) }),
});
builder.objectType(errors.OutOfStockError, {
  name: 'OutOfStock',
  interfaces: [ErrorInterface],
  fields: (t) => ({ available: t.exposeInt('available') }),
});
builder.objectType(errors.InsufficientQuantityError, {
  name: 'InsufficientQuantity',
  interfaces: [ErrorInterface],
  fields: (t) => ({ available: t.exposeInt('available', { description: 'Units the player holds.' }) }),
});
builder.objectType(errors.InsufficientFundsError, {
  name: 'InsufficientFunds',
  interfaces: [ErrorInterface],
  fields: (t) => ({ balance: t.field({ type: MoneyRef, resolve: (e) => e.balance }) }),
});
builder.objectType(errors.RiskBlockedError, {
  name: 'RiskBlocked',
  interfaces: [ErrorInterface, RetryableInterface],
  fields: (t) => ({ rulesFired: t.stringList({ resolve: (e) => [...e.rulesFired] }) }),
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
