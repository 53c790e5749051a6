/**
 * Verifies Coinslot purchase receipts on a game server, offline, with Coinslot's public keys.
 * Standalone: imports only `jose`, nothing else of Coinslot.
 *
 *   import { verifyReceipt } from 'coinslot/verify-receipt';
 *   const receipt = await verifyReceipt(purchase.receipt, { jwksUrl: 'https://pay.example/.well-known/jwks.json', gameId });
 *   grant(receipt.purchase.playerId, receipt.purchase.itemId, receipt.purchase.quantity);
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';

/** The JWS `typ` Coinslot puts on receipts. */
export const RECEIPT_TYPE = 'coinslot-receipt+jwt';

export interface VerifyReceiptOptions {
  /** The JWKS itself (e.g. fetched once and bundled); or: */
  readonly jwks?: JSONWebKeySet;
  /** Where Coinslot publishes it (`<coinslot>/.well-known/jwks.json`); fetched and cached, refetched for an unknown kid. */
  readonly jwksUrl?: string | URL;
  /**
   * Your game's id (as Coinslot shows it): a receipt for another game is rejected. Required: a valid
   * receipt of any other game would otherwise pass. Pass `false` only to accept every game's
   * receipts on purpose (e.g. a server shared by several games that checks `purchase.gameId` itself).
   */
  readonly gameId: string | false;
  /** The expected issuer (Coinslot's PUBLIC_URL), when you want it checked. */
  readonly issuer?: string;
  /** The time to check `exp` against (default now). */
  readonly currentDate?: Date;
  /** Allowed clock skew in seconds (default 60). */
  readonly clockToleranceSeconds?: number;
}

export interface VerifiedReceipt {
  /** The signing key's id. */
  readonly kid: string;
  readonly issuer: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly purchase: {
    readonly id: string;
    readonly gameId: string;
    /** Who holds the item (the friend, for a gift). */
    readonly playerId: string;
    /** Who paid. */
    readonly buyerId: string;
    readonly itemId: string;
    readonly sku: string | null;
    readonly quantity: number;
    /** Integer minor units as a string, and the currency. */
    readonly price: { readonly amount: string; readonly currency: string };
    readonly status: string;
    readonly purchasedAt: string;
  };
}

/** Why a receipt was refused (bad signature, unknown key, expired, another game's, malformed). */
export class ReceiptVerificationError extends Error {
  override readonly name = 'ReceiptVerificationError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const remoteSets = new Map<string, JWTVerifyGetKey>();

function keySet(options: VerifyReceiptOptions): JWTVerifyGetKey {
  if (options.jwks) return createLocalJWKSet(options.jwks);
  if (!options.jwksUrl) throw new TypeError('verifyReceipt needs `jwks` or `jwksUrl`');
  const url = String(options.jwksUrl);
  let set = remoteSets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url));
    remoteSets.set(url, set);
  }
  return set;
}

/** Checks a receipt's ES256 signature against the JWKS, its type, expiry and (if given) game and issuer; returns its facts or throws ReceiptVerificationError. */
export async function verifyReceipt(jws: string, options: VerifyReceiptOptions): Promise<VerifiedReceipt> {
  if (typeof options.gameId !== 'string' && options.gameId !== false)
    throw new TypeError('verifyReceipt needs `gameId` (your game id), or `gameId: false` to accept any game');
  if (options.gameId === '') throw new TypeError('verifyReceipt: `gameId` is empty');
  const keys = keySet(options);
  try {
    const { payload, protectedHeader } = await jwtVerify(jws, keys, {
      algorithms: ['ES256'],
      typ: RECEIPT_TYPE,
      ...(options.gameId ? { audience: options.gameId } : {}),
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
      clockTolerance: options.clockToleranceSeconds ?? 60,
      requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp'],
    });
    const purchase = payload.purchase as VerifiedReceipt['purchase'] | undefined;
    if (!purchase || typeof purchase !== 'object' || purchase.id !== payload.sub || purchase.gameId !== payload.aud) {
      throw new ReceiptVerificationError('The receipt does not describe a purchase.', 'malformed');
    }
    return {
      kid: protectedHeader.kid ?? '',
      issuer: payload.iss!,
      issuedAt: new Date(payload.iat! * 1000),
      expiresAt: new Date(payload.exp! * 1000),
      purchase,
    };
  } catch (error) {
    if (error instanceof ReceiptVerificationError) throw error;
    if (error instanceof errors.JOSEError)
      throw new ReceiptVerificationError(`Invalid receipt: ${error.message}`, error.code);
    throw new ReceiptVerificationError(`Invalid receipt: ${(error as Error).message}`, 'invalid');
  }
}
