import cardValidator from 'card-validator';
import type { AcquirerRisk } from '../shared/acquirer-port.js';

/** How the sandbox treats a card number, after the test-card table of src/acquirer/README.md. */
export interface CardBehaviour {
  /** Verification (tokenization) declines with this code. */
  readonly declineOnVerify?: string;
  /** Every charge declines with this code. */
  readonly declineOnCharge?: string;
  /** Every charge answers requires_action until confirmed with the CVC. */
  readonly requiresAction?: boolean;
  /** Every charge fails as an acquirer fault (HTTP 503, nothing charged). */
  readonly processingError?: boolean;
  /** Approved charges are disputed later. */
  readonly disputed?: boolean;
  readonly risk: AcquirerRisk;
}

const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = {
  '4000000000000002': { declineOnVerify: 'generic_decline', risk: 'normal' },
  '4000000000009995': { declineOnVerify: 'insufficient_funds', risk: 'normal' },
  '4000000000000069': { declineOnVerify: 'expired_card', risk: 'normal' },
  '4000000000000127': { declineOnVerify: 'incorrect_cvc', risk: 'normal' },
  '4000002760003184': { requiresAction: true, risk: 'normal' },
  '4100000000000019': { risk: 'highest' },
  '4000000000000259': { disputed: true, risk: 'normal' },
  '4000000000000119': { processingError: true, risk: 'normal' },
  '4000000000000341': { declineOnCharge: 'card_declined', risk: 'normal' },
  '4000000000009235': { risk: 'elevated' },
};

const APPROVED: CardBehaviour = { risk: 'normal' };

/** The behaviour of a card number (digits only); any other valid number is simply approved. */
export function behaviourOf(number: string): CardBehaviour {
  return TEST_CARDS[number] ?? APPROVED;
}

/** Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Brand by card-validator's table ('visa', 'american-express'…), or 'unknown'; and the CVC length it expects. */
export function brandOf(number: string): { brand: string; cvcLength: number } {
  const card = cardValidator.number(number, { skipLuhnValidation: true }).card;
  return card ? { brand: card.type, cvcLength: card.code.size } : { brand: 'unknown', cvcLength: 3 };
}
