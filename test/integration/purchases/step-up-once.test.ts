import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import {
  buyTyped as buy,
  CARDS,
  confirmTyped as confirm,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename } from '../../helpers/graphql.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

// A first charge above the new-card amount ($50 by default) is stepped up by our fraud rules; the
// 3184 card also needs authentication at the bank. The player types the CVC once for both.
describe('step-up asks for the CVC once', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp();
    game = await setUpGame(app, [{ sku: 'crate', kind: 'CONSUMABLE', price: '6000' }]);
  });
  afterAll(() => app.close());

  it('completes a risk step-up on a card that also needs bank authentication with the one CVC typed', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.authRequired, oneTapMax: '10000', dailyCap: '20000' });
    const res = await buy(app, game, player, game.items.crate!);
    const waiting = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(waiting).toMatchObject({ status: 'REQUIRES_ACTION', requiresActionReason: 'STEP_UP' });

    const done = await confirm(app, player, waiting.id, { cvc: '123' });
    expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(livingCharges(await chargesFor(app, decodeId(waiting.id)))).toHaveLength(1);
  });

  it('declines with incorrect_cvc when the one CVC is wrong, and charges nothing', async () => {
    const player = await setUpPlayer(app, game, { card: CARDS.authRequired, oneTapMax: '10000', dailyCap: '20000' });
    const res = await buy(app, game, player, game.items.crate!);
    const waiting = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    const wrong = await confirm(app, player, waiting.id, { cvc: '999' });
    expect(expectTypename(wrong.data.confirmPurchase, 'CardDeclined').declineCode).toBe('incorrect_cvc');
    expect(livingCharges(await chargesFor(app, decodeId(waiting.id)))).toHaveLength(0);
  });
});
