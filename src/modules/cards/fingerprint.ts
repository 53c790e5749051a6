import { createHmac } from 'node:crypto';

/**
 * The card's keyed fingerprint: HMAC-SHA256 of its digits under CARD_FINGERPRINT_KEY (base64url).
 * Finds the same card again (duplicates, fraud rules) without a number that could be brute-forced back.
 */
export function cardFingerprint(key: string, digits: string): string {
  return createHmac('sha256', key).update(digits).digest('base64url');
}
