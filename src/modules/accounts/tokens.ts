import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tokens and keys are looked up by a keyed hash (HMAC-SHA256 with the server's pepper), so a
 * leaked table holds nothing usable and lookups stay an indexed equality.
 */
export function hashToken(pepper: string, token: string): string {
  return createHmac('sha256', pepper).update(token).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Token kinds by prefix: ds_ developer session, ps_ player session, sk_/pk_ game keys, gt_ game token, op_ operator. */
export const TOKEN_PREFIX = {
  developerSession: 'ds_',
  playerSession: 'ps_',
  gameSecret: 'sk_',
  gamePublishable: 'pk_',
  gameToken: 'gt_',
  operator: 'op_',
} as const;
