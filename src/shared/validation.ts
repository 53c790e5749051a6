import { z } from 'zod';
import { ValidationError } from './errors.js';
import { parseAmountMinor, type Money } from './money.js';

/** Parses `input` with a zod schema; failures become one ValidationError with a path per issue. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, basePath = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [basePath, ...issue.path.map(String)].filter(Boolean).join('.'),
      message: issue.message,
    })),
  );
}

/** Printable text without control characters, trimmed, bounded. */
export const text = (max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .toLowerCase()
  .pipe(z.email('must be an email address'));

/** A string of integer minor units (MoneyInput.amount) as a number, by parseAmountMinor; an issue lands on the amount's path. */
export const minorUnits = (options: { readonly allowZero?: boolean } = {}) =>
  z.string().transform((raw, ctx) => {
    const parsed = parseAmountMinor(raw.trim(), options);
    if (typeof parsed === 'number') return parsed;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });

/** A MoneyInput as Money: the amount by minorUnits, the currency trimmed; which currencies are allowed is the verb's rule. */
export const moneyInput = (options: { readonly allowZero?: boolean } = {}) =>
  z
    .object({ amount: minorUnits(options), currency: z.string().trim().max(8, 'is not a known currency') })
    .transform((m): Money => ({ amountMinor: m.amount, currency: m.currency }));
