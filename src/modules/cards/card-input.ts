import cardValidator from 'card-validator';
import { CardInvalidError } from '../../shared/errors.js';

/** A card as typed, checked: the digits travel to the acquirer once and are then dropped. */
export interface ValidCard {
  readonly digits: string;
  readonly brand: string;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvc: string;
  readonly holderName: string;
}

export interface AddCardFields {
  readonly number: unknown;
  readonly expMonth: unknown;
  readonly expYear: unknown;
  readonly cvc: unknown;
  readonly holderName: unknown;
}

// Bounds checked before any parsing, so that a megabyte string costs nothing but a length read.
const MAX_NUMBER_CHARS = 32;
const MAX_CVC_CHARS = 8;
const MAX_HOLDER_CHARS = 100;
const MIN_DIGITS = 12;
const MAX_DIGITS = 19;
/** Cards are not issued more than this many years ahead (card-validator uses 19). */
const MAX_YEARS_AHEAD = 20;

const invalid = (field: string, reason: string) => new CardInvalidError(field, reason);

/**
 * Checks a card as the player typed it, field by field in input order, with card-validator for
 * the number (brand, length, Luhn) and the CVC; the first problem becomes CardInvalid(field, reason).
 * Messages and reasons never repeat the value.
 */
export function validateCard(input: AddCardFields, now: Date): ValidCard {
  for (const [field, max] of [
    ['number', MAX_NUMBER_CHARS],
    ['cvc', MAX_CVC_CHARS],
    ['holderName', MAX_HOLDER_CHARS],
  ] as const) {
    const value = input[field];
    if (typeof value !== 'string') throw invalid(field, 'required');
    if (value.length > max) throw invalid(field, 'too_long');
  }
  const { digits, brand } = checkNumber(input.number as string);
  const { expMonth, expYear } = checkExpiry(input.expMonth, input.expYear, now);
  const cvc = checkCvc(input.cvc as string, brand.cvcLength);
  const holderName = checkHolderName(input.holderName as string);
  return { digits, brand: brand.type, last4: digits.slice(-4), expMonth, expYear, cvc, holderName };
}

function checkNumber(raw: string): { digits: string; brand: { type: string; cvcLength: number } } {
  // Spaces and dashes group digits as printed on the card; anything else (letters, unicode digits) is refused.
  if (!/^[0-9 -]*$/.test(raw)) throw invalid('number', 'invalid_characters');
  const digits = raw.replace(/[ -]/g, '');
  if (digits.length === 0) throw invalid('number', 'required');
  if (digits.length < MIN_DIGITS) throw invalid('number', 'too_short');
  if (digits.length > MAX_DIGITS) throw invalid('number', 'too_long');
  const verdict = cardValidator.number(digits, { luhnValidateUnionPay: true });
  const card = verdict.card ?? cardValidator.number(digits, { skipLuhnValidation: true }).card;
  if (!card) throw invalid('number', 'unknown_brand');
  if (!card.lengths.includes(digits.length)) throw invalid('number', 'wrong_length');
  if (!verdict.isValid) throw invalid('number', 'luhn_check_failed');
  return { digits, brand: { type: card.type, cvcLength: card.code.size } };
}

function checkExpiry(month: unknown, year: unknown, now: Date): { expMonth: number; expYear: number } {
  if (typeof month !== 'number' || !Number.isInteger(month)) throw invalid('expMonth', 'required');
  if (month < 1 || month > 12) throw invalid('expMonth', 'out_of_range');
  if (typeof year !== 'number' || !Number.isInteger(year)) throw invalid('expYear', 'required');
  if (year < 1000 || year > 9999) throw invalid('expYear', 'four_digits_expected');
  // A card is good through the last day of its expiry month (UTC).
  const thisYear = now.getUTCFullYear();
  const thisMonth = now.getUTCMonth() + 1;
  if (year < thisYear || (year === thisYear && month < thisMonth)) throw invalid('expYear', 'expired');
  if (year > thisYear + MAX_YEARS_AHEAD) throw invalid('expYear', 'too_far_ahead');
  return { expMonth: month, expYear: year };
}

function checkCvc(raw: string, size: number): string {
  if (!/^[0-9]*$/.test(raw)) throw invalid('cvc', 'invalid_characters');
  if (raw.length === 0) throw invalid('cvc', 'required');
  if (!cardValidator.cvv(raw, size).isValid)
    throw invalid('cvc', size === 4 ? 'four_digits_expected' : 'three_digits_expected');
  return raw;
}

function checkHolderName(raw: string): string {
  const name = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (name.length === 0) throw invalid('holderName', 'required');
  // Letters of any script are fine; control, format and unassigned code points are not printable.
  if (/\p{C}/u.test(raw)) throw invalid('holderName', 'not_printable');
  if (!cardValidator.cardholderName(name).isValid) throw invalid('holderName', 'invalid');
  // A run of digits in a name is most likely a card number typed in the wrong box: never store it.
  if ((name.match(/[0-9]/g)?.length ?? 0) > 4) throw invalid('holderName', 'contains_digits');
  return name;
}
