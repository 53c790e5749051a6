import pino, { type Logger, type DestinationStream } from 'pino';
import { publicId, type IdKind } from './shared/public-ids.js';
import { activeTraceFields } from './shared/tracing.js';

export type { Logger };

/** Paths never written to a log: credentials, passwords and card fields, wherever they appear. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  '*.password',
  '*.token',
  '*.number',
  '*.cvc',
  '*.cardNumber',
  '*.secretKey',
  '*.webhookSecret',
  '*.gameToken',
  '*.operatorToken',
  '*.variables.input.password',
  '*.variables.input.number',
  '*.variables.input.cvc',
  'variables.input.password',
  'variables.input.number',
  'variables.input.cvc',
  'input.password',
  'input.number',
  'input.cvc',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Log keys that hold a row id, written as the public id (`pur_…`) that the API, webhooks and receipts show. */
const ID_KEYS: Record<string, IdKind> = {
  purchaseId: 'Purchase',
  gameId: 'Game',
  playerId: 'Player',
  itemId: 'Item',
  cardId: 'Card',
  refundId: 'Refund',
  disputeId: 'Dispute',
  developerId: 'Developer',
  authorizationId: 'GameAuthorization',
};

/** Serializers that turn the UUID under an id key into its public id; anything else passes as it is. */
export const ID_SERIALIZERS = Object.fromEntries(
  Object.entries(ID_KEYS).map(([key, kind]) => [
    key,
    (value: unknown) => (typeof value === 'string' && UUID.test(value) ? publicId(kind, value) : value),
  ]),
);

/**
 * JSON logs (pino) with redaction; tests pass a destination to capture every line. A line written
 * inside a traced request carries its `trace_id` and `span_id` (none without an OTel SDK).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'coinslot' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err, ...ID_SERIALIZERS },
      timestamp: pino.stdTimeFunctions.isoTime,
      // a fresh object per line: pino merges the line's own fields into it
      mixin: activeTraceFields,
    },
    destination,
  );
}
