import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ISO_CURRENCY_DIGITS } from '../../src/shared/currencies.js';
import { currencyDigits, formatMoney, parseMinorUnits, toDecimalString } from '../../src/shared/money.js';

const CURRENCIES = [...ISO_CURRENCY_DIGITS.keys()];
/** Amounts biased to the edges: tiny, around powers of ten, and up to the largest safe integer. */
const amount = fc.oneof(
  fc.integer({ min: 1, max: 1_000 }),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: 0, max: 15 }).map((e) => 10 ** e),
  fc.integer({ min: 1, max: 15 }).map((e) => 10 ** e - 1),
  fc.constant(Number.MAX_SAFE_INTEGER),
);
/** Locales whose digits are 0–9, with different grouping and decimal marks. */
const LATIN_LOCALES = ['en-US', 'de-DE', 'fr-CH', 'en-IN', 'ja-JP', 'pt-BR', 'es-419', 'sv-SE'];

/** A decimal string back to integer minor units, exactly (BigInt, no float on the way). */
function fromDecimalString(text: string, digits: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length !== digits) throw new Error(`${text} has ${fraction.length} decimals, not ${digits}`);
  const units = BigInt(`${whole}${fraction}`);
  return sign ? -units : units;
}

describe('money parsing and formatting, fuzzed over every ISO 4217 currency', () => {
  it('covers the whole currency table (180 codes, digits 0 to 4)', () => {
    expect(CURRENCIES.length).toBeGreaterThanOrEqual(150);
    expect(new Set(ISO_CURRENCY_DIGITS.values())).toEqual(new Set([0, 2, 3, 4]));
  });

  it('parses every positive safe amount back from its minor-unit string, with or without leading zeros', () => {
    fc.assert(
      fc.property(
        amount.filter((n) => n > 0),
        fc.integer({ min: 0, max: 3 }),
        (n, zeros) => {
          expect(parseMinorUnits(String(n))).toBe(n);
          const padded = `${'0'.repeat(zeros)}${n}`;
          if (padded.length <= 16) expect(parseMinorUnits(padded)).toBe(n);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('never throws on any string, and accepts only what is exactly a positive safe integer', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.stringMatching(/^[-+ .,0-9eE_xX]{0,24}$/),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
      fc.double().map(String),
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseMinorUnits(text);
        if (typeof parsed === 'number') {
          expect(Number.isSafeInteger(parsed) && parsed > 0).toBe(true);
          expect(/^[0-9]+$/.test(text)).toBe(true);
          expect(BigInt(parsed)).toBe(BigInt(text));
        } else {
          expect(['not_an_integer', 'not_positive', 'too_large']).toContain(parsed);
          if (/^[0-9]+$/.test(text))
            expect(BigInt(text) <= 0n || BigInt(text) > BigInt(Number.MAX_SAFE_INTEGER) || text.length > 16).toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('renders minor units as an exact decimal string and reads back the same amount, in every currency', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES), amount, fc.boolean(), (currency, n, negative) => {
        const value = negative ? -n : n;
        const digits = currencyDigits(currency);
        const text = toDecimalString(value, digits);
        expect(fromDecimalString(text, digits)).toBe(BigInt(value));
        // no stray leading zero: "0.05", "12.34", "500", never "012.34"
        expect(/^-?(0|[1-9]\d*)(\.\d+)?$/.test(text)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('formats every currency in several locales without throwing, keeping every digit of the amount', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES), amount, fc.constantFrom(...LATIN_LOCALES), (currency, n, locale) => {
        const formatted = formatMoney({ amountMinor: n, currency }, locale);
        const expected = toDecimalString(n, currencyDigits(currency)).replace(/\D/g, '');
        // Only the digits of the amount: some symbols carry none, grouping and decimal marks vary by locale.
        expect(formatted.replace(/\D/g, '')).toBe(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it('formats in a locale with other digits (Arabic-Indic) without throwing, with the same digits once mapped', () => {
    const arabic = '٠١٢٣٤٥٦٧٨٩';
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES), amount, (currency, n) => {
        const formatted = formatMoney({ amountMinor: n, currency }, 'ar-EG');
        const western = [...formatted].map((c) => (arabic.includes(c) ? String(arabic.indexOf(c)) : c)).join('');
        expect(western.replace(/\D/g, '')).toBe(toDecimalString(n, currencyDigits(currency)).replace(/\D/g, ''));
      }),
      { numRuns: 500 },
    );
  });

  it('formats a game currency (no ISO digits) as whole units with its code', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z]{2,8}$/).filter((c) => !ISO_CURRENCY_DIGITS.has(c)),
        amount,
        (code, n) => {
          const formatted = formatMoney({ amountMinor: n, currency: code });
          expect(formatted.endsWith(` ${code}`)).toBe(true);
          expect(formatted.replace(` ${code}`, '').replace(/\D/g, '')).toBe(String(n));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
