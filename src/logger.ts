import pino, { type Logger, type DestinationStream } from 'pino';

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

/** JSON logs (pino) with redaction; tests pass a destination to capture every line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'coinslot' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
