// A CLIENT span per call of the Acquirer port (one span for a call and all its retries), active while
// the call runs so that the HTTP client sends it on as `traceparent`. What the span says: the call,
// where the acquirer is, and the charge's outcome; never a card field, token, amount or key.
import type { Attributes } from '@opentelemetry/api';
import {
  AcquirerRejectedError,
  AcquirerUnavailableError,
  type Acquirer,
  type ChargeResult,
} from '../../shared/acquirer-port.js';
import { errorTypeOf, withChildSpan } from '../../shared/tracing.js';

/** The acquirer's errors by their code (timeout, ECONNREFUSED, http_503, card_declined…). */
function acquirerErrorType(error: unknown): string {
  if (error instanceof AcquirerUnavailableError || error instanceof AcquirerRejectedError) return error.code;
  return errorTypeOf(error);
}

/** `acquirer` wrapped so that each call is a span (inside a traced request; a pass-through otherwise). */
export function traceAcquirer<A extends Acquirer>(acquirer: A, baseUrl: string): Acquirer {
  const url = new URL(baseUrl);
  const target: Attributes = {
    'server.address': url.hostname.replace(/^\[|\]$/g, ''),
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  };
  const call = <T>(operation: string, run: () => Promise<T>, outcome?: (result: T) => string | null) =>
    withChildSpan(
      `acquirer ${operation}`,
      {
        attributes: () => ({ ...target, 'coinslot.acquirer.operation': operation }),
        resultAttributes: outcome
          ? (result) => {
              const value = outcome(result);
              return value ? { 'coinslot.acquirer.outcome': value } : {};
            }
          : undefined,
        errorType: acquirerErrorType,
      },
      run,
    );
  const charged = (result: ChargeResult) => result.status;
  return {
    tokenizeCard: (card) =>
      call(
        'tokenize',
        () => acquirer.tokenizeCard(card),
        (r) => (r.ok ? 'ok' : 'declined'),
      ),
    charge: (request) => call('charge', () => acquirer.charge(request), charged),
    confirmCharge: (request) => call('confirm', () => acquirer.confirmCharge(request), charged),
    lookupCharge: (key) =>
      call(
        'lookup',
        () => acquirer.lookupCharge(key),
        (r) => (r ? r.status : 'none'),
      ),
    refund: (request) =>
      call(
        'refund',
        () => acquirer.refund(request),
        (r) => r.status,
      ),
    voidCharge: (request) =>
      call(
        'void',
        () => acquirer.voidCharge(request),
        (r) => r.status,
      ),
    listDisputes: (request) => call('disputes', () => acquirer.listDisputes(request)),
    registerDisputeCallback: (url) => call('register_callback', () => acquirer.registerDisputeCallback(url)),
    // local: a signature check, no call
    parseDisputeCallback: (callback) => acquirer.parseDisputeCallback(callback),
  };
}
