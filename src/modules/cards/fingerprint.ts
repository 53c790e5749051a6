import { createHmac } from 'node:crypto';
import { SANDBOX_TEST_CARD_NUMBERS } from '../../shared/sandbox-test-cards.js';

/**
 * The card's keyed fingerprint: HMAC-SHA256 of its digits under CARD_FINGERPRINT_KEY (base64url).
 * Finds the same card again (duplicates, fraud rules) without a number that could be brute-forced back.
 */
export function cardFingerprint(key: string, digits: string): string {
  return createHmac('sha256', key).update(digits).digest('base64url');
}

/**
 * The fingerprint kept for a card. In sandbox mode a published test card is fingerprinted per
 * player: the same player adding it twice still finds it, but the fraud rule "one card used by 3
 * or more players" does not fire because thousands of developers type 4242 4242 4242 4242.
 */
export function storedFingerprint(key: string, digits: string, playerId: string, sandbox: boolean): string {
  return cardFingerprint(key, sandbox && SANDBOX_TEST_CARD_NUMBERS.has(digits) ? `${digits}:${playerId}` : digits);
}
