import { sign } from 'node:crypto';
import type { JWK } from 'jose';
import type { Deps } from '../service-context.js';
import { publishedKeys, receiptKeyRing } from './keys.js';
import { publicId } from '../../shared/public-ids.js';

/** The JWS `typ` of a receipt, so that no other token of ours can pass for one. */
export const RECEIPT_TYPE = 'coinslot-receipt+jwt';

/** What a receipt asserts about a purchase. */
export interface ReceiptFacts {
  readonly purchaseId: string;
  readonly gameId: string;
  /** Who holds the item: the buyer, or the friend of a gift. */
  readonly playerId: string;
  /** Who paid, when not the player (gifts). */
  readonly buyerId?: string;
  readonly itemId: string;
  readonly sku?: string;
  readonly quantity: number;
  /** What was paid, in integer minor units of `currency` (ISO 4217 or a game currency). */
  readonly amountMinor: number;
  readonly currency: string;
  readonly status: string;
  readonly purchasedAt: Date;
}

/** The `purchase` claim of a receipt: amounts as strings of minor units, times as ISO 8601. */
export interface ReceiptPurchaseClaim {
  readonly id: string;
  readonly gameId: string;
  readonly playerId: string;
  readonly buyerId: string;
  readonly itemId: string;
  readonly sku: string | null;
  readonly quantity: number;
  readonly price: { readonly amount: string; readonly currency: string };
  readonly status: string;
  readonly purchasedAt: string;
}

/** The issuer of receipts: the public URL when configured. */
export function receiptIssuer(deps: Pick<Deps, 'config'>): string {
  return deps.config.PUBLIC_URL ?? 'coinslot';
}

/**
 * Signs a receipt: a compact JWS (ES256, header kid and typ) whose claims are iss, sub (the purchase's
 * public id `pur_…`), aud (the game's `gam_…`), iat, exp (iat + RECEIPT_TTL, one year by default) and `purchase` (the facts).
 * A game server verifies it offline with the keys at /.well-known/jwks.json.
 */
export async function signReceipt(deps: Pick<Deps, 'config' | 'clock'>, facts: ReceiptFacts): Promise<string> {
  const ring = await receiptKeyRing(deps.config);
  const issuedAt = Math.floor(deps.clock.now().getTime() / 1000);
  const ids = {
    purchase: publicId('Purchase', facts.purchaseId),
    game: publicId('Game', facts.gameId),
    player: publicId('Player', facts.playerId),
  };
  const purchase: ReceiptPurchaseClaim = {
    id: ids.purchase,
    gameId: ids.game,
    playerId: ids.player,
    buyerId: facts.buyerId ? publicId('Player', facts.buyerId) : ids.player,
    itemId: publicId('Item', facts.itemId),
    sku: facts.sku ?? null,
    quantity: facts.quantity,
    price: { amount: String(facts.amountMinor), currency: facts.currency },
    status: facts.status,
    purchasedAt: facts.purchasedAt.toISOString(),
  };
  const header = { alg: 'ES256', kid: ring.kid, typ: RECEIPT_TYPE };
  const claims = {
    purchase,
    iss: receiptIssuer(deps),
    sub: ids.purchase,
    aud: ids.game,
    iat: issuedAt,
    exp: issuedAt + Math.floor(deps.config.RECEIPT_TTL / 1000),
  };
  // Compact JWS (RFC 7515) by hand with node:crypto: ES256 is ECDSA P-256 over SHA-256 with the
  // signature as r‖s (ieee-p1363), exactly what jose produces and verifies, at a fifth of its cost.
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: ring.signingKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** The JWKS served at /.well-known/jwks.json: public keys only. */
export async function receiptJwks(deps: Pick<Deps, 'config' | 'clock'>): Promise<{ keys: JWK[] }> {
  const ring = await receiptKeyRing(deps.config);
  return { keys: publishedKeys(ring, deps.config, deps.clock.now()) };
}
