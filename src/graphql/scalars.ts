import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';
import { formatMoney, type Money } from '../shared/money.js';

builder.scalarType('DateTime', {
  description:
    'An instant in time: an RFC 3339 date-time with a time zone, e.g. 2026-11-27T10:00:00Z. Coinslot always answers in UTC with milliseconds (2026-11-27T10:00:00.000Z); on input any offset is accepted (+02:00) and the seconds may be left out.',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value as string).toISOString()),
  parseValue: (value) => parseDateTime(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string.');
    return parseDateTime(ast.value);
  },
});

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) {
    throw new GraphQLError('DateTime must be an ISO 8601 instant with a time zone, e.g. 2026-11-27T10:00:00Z.');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime is not a valid date.');
  return date;
}

/** Money out: integer minor units as a string, the currency, and a formatted rendering. */
export const MoneyRef = builder.objectRef<Money>('Money').implement({
  description: 'An amount in integer minor units of a currency (ISO 4217, or a game currency).',
  fields: (t) => ({
    amount: t.string({
      description: 'Integer minor units, e.g. "499" for $4.99.',
      resolve: (m) => String(m.amountMinor),
    }),
    currency: t.exposeString('currency', {
      description: 'ISO 4217 code such as USD, or a game currency code such as GEM.',
    }),
    formatted: t.string({
      description: 'For display only, in en-US: "$4.99", "¥500", or "500 GEM" for a game currency.',
      resolve: (m) => formatMoney(m),
    }),
  }),
});

/** Money in: the amount is parsed by the domain (fractions, signs, size and currency rules live there). */
export const MoneyInputRef = builder.inputType('MoneyInput', {
  description: 'An amount to send: integer minor units of a currency (never a decimal like "4.99").',
  fields: (t) => ({
    amount: t.string({ required: true, description: 'Integer minor units as a string, e.g. "499".' }),
    currency: t.string({ required: true, description: 'ISO 4217 code, or a game currency code.' }),
  }),
});
