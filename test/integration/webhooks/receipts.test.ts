import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JSONWebKeySet } from 'jose';
import { newReceiptSigningJwk } from '../../../src/shared/receipt-signing-key.js';
import { receiptJwks, rotateReceiptKeys, signReceipt, type ReceiptFacts } from '../../../src/modules/receipts/index.js';
import { ReceiptVerificationError, verifyReceipt } from '../../../src/sdk/verify-receipt.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { publicId } from '../../../src/shared/public-ids.js';
import { createTestApp, TEST_RECEIPT_KEY, type TestApp } from '../../helpers/test-app.js';

function facts(overrides: Partial<ReceiptFacts> = {}): ReceiptFacts {
  return {
    purchaseId: crypto.randomUUID(),
    gameId: crypto.randomUUID(),
    playerId: crypto.randomUUID(),
    itemId: crypto.randomUUID(),
    sku: 'gems-500',
    quantity: 2,
    amountMinor: 998,
    currency: 'USD',
    status: 'SUCCEEDED',
    purchasedAt: new Date('2026-11-27T10:00:00Z'),
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReceiptVerificationError) return error.code;
    throw error;
  }
  return 'accepted';
}

/** Re-encodes a JWS part (header or payload) after changing it, keeping the original signature. */
function tamper(jws: string, part: 0 | 1, change: (json: any) => void): string {
  const parts = jws.split('.');
  const json = JSON.parse(Buffer.from(parts[part]!, 'base64url').toString());
  change(json);
  parts[part] = Buffer.from(JSON.stringify(json)).toString('base64url');
  return parts.join('.');
}

describe('signed receipts', () => {
  let app: TestApp;
  let jwks: JSONWebKeySet;
  const clock = new ManualClock(new Date('2026-11-27T10:00:00Z'));

  beforeAll(async () => {
    app = await createTestApp({ clock, listen: true, env: { WEBHOOK_DISPATCHER: 'off', BACKGROUND_JOBS: 'false' } });
    const response = await fetch(`${app.url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    jwks = (await response.json()) as JSONWebKeySet;
  });
  afterAll(() => app?.close());

  it('publishes only public keys, with kid and ES256', () => {
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: TEST_RECEIPT_KEY.x,
      y: TEST_RECEIPT_KEY.y,
      kid: TEST_RECEIPT_KEY.kid,
      alg: 'ES256',
      use: 'sig',
    });
    expect(JSON.stringify(jwks)).not.toContain(TEST_RECEIPT_KEY.d);
  });

  it('verifies with the JWKS alone: no database, no Coinslot code but the SDK', async () => {
    const sold = facts({ buyerId: crypto.randomUUID() });
    const jws = await signReceipt(app.deps, sold);
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', kid: TEST_RECEIPT_KEY.kid, typ: 'coinslot-receipt+jwt' });

    const receipt = await verifyReceipt(jws, {
      jwks: structuredClone(jwks),
      gameId: publicId('Game', sold.gameId),
      currentDate: clock.now(),
    });
    expect(receipt.kid).toBe(TEST_RECEIPT_KEY.kid);
    // Every id in the receipt is the public id the API shows (pur_…, gam_…).
    expect(receipt.purchase).toEqual({
      id: publicId('Purchase', sold.purchaseId),
      gameId: publicId('Game', sold.gameId),
      playerId: publicId('Player', sold.playerId),
      buyerId: publicId('Player', sold.buyerId!),
      itemId: publicId('Item', sold.itemId),
      sku: 'gems-500',
      quantity: 2,
      price: { amount: '998', currency: 'USD' },
      status: 'SUCCEEDED',
      purchasedAt: '2026-11-27T10:00:00.000Z',
    });
    // one year of validity
    expect(receipt.expiresAt.getTime() - receipt.issuedAt.getTime()).toBe(365 * 86_400_000);
  });

  it('verifies against the published URL too (fetched and cached by the SDK)', async () => {
    const sold = facts();
    const jws = await signReceipt(app.deps, sold);
    const receipt = await verifyReceipt(jws, {
      jwksUrl: `${app.url}/.well-known/jwks.json`,
      gameId: publicId('Game', sold.gameId),
      currentDate: clock.now(),
    });
    expect(receipt.purchase.id).toBe(publicId('Purchase', sold.purchaseId));
  });

  it('rejects a tampered payload or header, a wrong key, another game, an expired receipt and garbage', async () => {
    const sold = facts();
    const jws = await signReceipt(app.deps, sold);
    const options = { jwks, gameId: publicId('Game', sold.gameId), currentDate: clock.now() };
    expect(await rejection(verifyReceipt(jws, options))).toBe('accepted');
    expect(
      await rejection(
        verifyReceipt(
          tamper(jws, 1, (p) => (p.purchase.quantity = 200)),
          options,
        ),
      ),
    ).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    expect(
      await rejection(
        verifyReceipt(
          tamper(jws, 1, (p) => (p.purchase.price.amount = '1')),
          options,
        ),
      ),
    ).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    expect(
      await rejection(
        verifyReceipt(
          tamper(jws, 0, (h) => (h.alg = 'none')),
          options,
        ),
      ),
    ).not.toBe('accepted');
    expect(
      await rejection(
        verifyReceipt(
          tamper(jws, 0, (h) => (h.alg = 'HS256')),
          options,
        ),
      ),
    ).not.toBe('accepted');

    // a key that is not Coinslot's: same kid, other key material
    const impostorKey: Record<string, string> = { ...newReceiptSigningJwk(), kid: TEST_RECEIPT_KEY.kid };
    const { d: _d, ...impostor } = impostorKey;
    expect(await rejection(verifyReceipt(jws, { ...options, jwks: { keys: [impostor] } }))).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
    // a receipt signed by another key than the published one
    const stranger = await createTestApp({
      clock,
      env: {
        WEBHOOK_DISPATCHER: 'off',
        BACKGROUND_JOBS: 'false',
        RECEIPT_SIGNING_KEYS: JSON.stringify([newReceiptSigningJwk()]),
      },
    });
    try {
      const forged = await signReceipt(stranger.deps, sold);
      expect(await rejection(verifyReceipt(forged, options))).toBe('ERR_JWKS_NO_MATCHING_KEY');
    } finally {
      await stranger.close();
    }

    expect(await rejection(verifyReceipt(jws, { ...options, gameId: crypto.randomUUID() }))).toBe(
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
    expect(
      await rejection(
        verifyReceipt(jws, { ...options, currentDate: new Date(clock.now().getTime() + 366 * 86_400_000) }),
      ),
    ).toBe('ERR_JWT_EXPIRED');
    expect(await rejection(verifyReceipt('not.a.receipt', options))).not.toBe('accepted');
  });

  it('keeps a retired key published until the last receipt it signed expires', async () => {
    const at = new Date('2026-11-27T10:00:00Z');
    const oldKeys = JSON.stringify([TEST_RECEIPT_KEY]);
    const rotated = rotateReceiptKeys(oldKeys, at, 365 * 86_400_000);
    const ring = JSON.parse(rotated) as { kid: string; retired_at?: string }[];
    expect(ring).toHaveLength(2);
    expect(ring[1]).toMatchObject({ kid: TEST_RECEIPT_KEY.kid, retired_at: at.toISOString() });

    const oldReceipt = await signReceipt(app.deps, facts());
    const rotatedClock = new ManualClock(at);
    const rotatedApp = await createTestApp({
      clock: rotatedClock,
      env: { WEBHOOK_DISPATCHER: 'off', BACKGROUND_JOBS: 'false', RECEIPT_SIGNING_KEYS: rotated },
    });
    try {
      const newReceipt = await signReceipt(rotatedApp.deps, facts());
      expect(JSON.parse(Buffer.from(newReceipt.split('.')[0]!, 'base64url').toString()).kid).toBe(ring[0]!.kid);
      const published = await receiptJwks(rotatedApp.deps);
      expect(published.keys.map((k) => k.kid)).toEqual([ring[0]!.kid, TEST_RECEIPT_KEY.kid]);
      for (const jws of [oldReceipt, newReceipt]) {
        expect(await rejection(verifyReceipt(jws, { jwks: published, gameId: false, currentDate: at }))).toBe(
          'accepted',
        );
      }
      // a year and a day later every receipt of the old key has expired: it is no longer published
      rotatedClock.advance(366 * 86_400_000);
      expect((await receiptJwks(rotatedApp.deps)).keys.map((k) => k.kid)).toEqual([ring[0]!.kid]);
    } finally {
      await rotatedApp.close();
    }
  });
});
