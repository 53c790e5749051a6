// Issue 17 finding 7: verifyReceipt(jws, { jwksUrl }) accepted a valid receipt of any game. The
// verifier now needs the expected game, and accepts every game only when told so explicitly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signReceipt, receiptJwks, type ReceiptFacts } from '../../src/modules/receipts/index.js';
import { ReceiptVerificationError, verifyReceipt, type VerifyReceiptOptions } from '../../src/sdk/verify-receipt.js';
import { publicId } from '../../src/shared/public-ids.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

function facts(gameId: string): ReceiptFacts {
  return {
    purchaseId: crypto.randomUUID(),
    gameId,
    playerId: crypto.randomUUID(),
    buyerId: crypto.randomUUID(),
    itemId: crypto.randomUUID(),
    sku: 'gems',
    quantity: 1,
    amountMinor: 499,
    currency: 'USD',
    status: 'SUCCEEDED',
    purchasedAt: new Date(),
  };
}

describe('receipts are checked against the expected game', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { WEBHOOK_DISPATCHER: 'off', BACKGROUND_JOBS: 'false' } });
  });
  afterAll(() => app.close());

  it('refuses a call without gameId, refuses another game, accepts its own game and an explicit opt-out', async () => {
    const mine = crypto.randomUUID();
    const theirs = crypto.randomUUID();
    const jwks = await receiptJwks(app.deps);
    const theirReceipt = await signReceipt(app.deps, facts(theirs));
    const myReceipt = await signReceipt(app.deps, facts(mine));

    // the review's reproduction: no audience given
    await expect(verifyReceipt(theirReceipt, { jwks } as unknown as VerifyReceiptOptions)).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(verifyReceipt(theirReceipt, { jwks, gameId: '' })).rejects.toBeInstanceOf(TypeError);
    const refused = await verifyReceipt(theirReceipt, { jwks, gameId: publicId('Game', mine) }).catch((e) => e);
    expect(refused).toBeInstanceOf(ReceiptVerificationError);
    expect(refused.code).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');

    const ok = await verifyReceipt(myReceipt, { jwks, gameId: publicId('Game', mine) });
    expect(ok.purchase.gameId).toBe(publicId('Game', mine));
    const any = await verifyReceipt(theirReceipt, { jwks, gameId: false });
    expect(any.purchase.gameId).toBe(publicId('Game', theirs));
  });
});
