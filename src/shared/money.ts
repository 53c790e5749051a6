import { isoDigits } from './currencies.js';

/**
 * An amount of money in integer minor units (cents for USD, yen for JPY), with its currency:
 * an ISO 4217 code or a game's virtual currency code (virtual currencies have 0 digits).
 * Amounts stay safe integers end to end; never floats.
 */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

export const VIRTUAL_CURRENCY_CODE = /^[A-Z]{2,8}$/;
const MINOR_UNITS = /^[0-9]{1,16}$/;

export type MoneyParseFailure = 'not_an_integer' | 'not_positive' | 'too_large';

/** The one wording of each reason an amount of minor units is refused, wherever one is parsed. */
export const MINOR_UNITS_MESSAGES: Readonly<Record<MoneyParseFailure, string>> = {
  not_an_integer: 'must be a whole number of minor units, e.g. "499" for 4.99 (no decimal point, sign or letters)',
  not_positive: 'must be greater than zero',
  too_large: `must be at most ${Number.MAX_SAFE_INTEGER}`,
};

/**
 * The parser of every amount given as a string of integer minor units (MoneyInput.amount): the
 * amount, or the message saying why not. Zero is refused unless `allowZero` (a limit of 0 means "never").
 */
export function parseAmountMinor(
  raw: string,
  options: { readonly allowZero?: boolean } = {},
): number | { message: string } {
  if (options.allowZero && raw === '0') return 0;
  const parsed = parseMinorUnits(raw);
  if (typeof parsed === 'number') return parsed;
  if (parsed === 'not_positive' && options.allowZero) return { message: 'must not be negative' };
  return { message: MINOR_UNITS_MESSAGES[parsed] };
}

/** Parses an amount given as an integer string of minor units; rejects fractions, signs and unsafe sizes. */
export function parseMinorUnits(raw: string): number | MoneyParseFailure {
  if (!MINOR_UNITS.test(raw))
    return /^-/.test(raw) ? 'not_positive' : raw.length > 16 && /^[0-9]+$/.test(raw) ? 'too_large' : 'not_an_integer';
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) return 'too_large';
  if (value <= 0) return 'not_positive';
  return value;
}

/** Digits of a currency: ISO digits, or 0 for a virtual currency. */
export function currencyDigits(currency: string): number {
  return isoDigits(currency) ?? 0;
}

/** Renders integer minor units as an exact decimal string ("1234", 2 → "12.34"). */
export function toDecimalString(amountMinor: number, digits: number): string {
  const negative = amountMinor < 0;
  const units = Math.abs(amountMinor)
    .toString()
    .padStart(digits + 1, '0');
  const whole = digits === 0 ? units : units.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${units.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** Human formatting with Intl ("$4.99", "¥500", "KWD 1.250"); virtual currencies as "500 GEM". */
export function formatMoney(money: Money, locale = 'en-US'): string {
  const digits = isoDigits(money.currency);
  if (digits === undefined) {
    // Made once per locale: building an Intl.NumberFormat costs far more than formatting with it.
    const plainKey = `${locale}:`;
    let plain = formatters.get(plainKey);
    if (!plain) {
      plain = new Intl.NumberFormat(locale);
      formatters.set(plainKey, plain);
    }
    return `${plain.format(money.amountMinor)} ${money.currency}`;
  }
  const key = `${locale}:${money.currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: money.currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formatters.set(key, formatter);
  }
  // Intl formats a decimal string exactly, so no float ever touches the amount.
  return formatter.format(toDecimalString(money.amountMinor, digits) as unknown as number);
}

/**
 * Splits `total` into parts proportional to `weights` with largest-remainder rounding:
 * the parts always sum to exactly `total`.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (weightSum <= 0) throw new Error('allocate needs a positive weight sum');
  const big = BigInt(total);
  const bigSum = BigInt(weightSum);
  const parts = weights.map((w) => (big * BigInt(w)) / bigSum);
  const remainders = weights.map((w, i) => ({ i, r: (big * BigInt(w)) % bigSum }));
  let left = big - parts.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left <= 0n) break;
    parts[i] = (parts[i] as bigint) + 1n;
    left -= 1n;
  }
  return parts.map(Number);
}

/** Splits an amount into the platform's fee and the game's share at `feeBps` basis points; the two sum to the amount. */
export function splitFee(amountMinor: number, feeBps: number): { fee: number; net: number } {
  const [fee, net] = allocate(amountMinor, [feeBps, 10_000 - feeBps]) as [number, number];
  return { fee, net };
}
