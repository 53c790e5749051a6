import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectTypename } from '../../helpers/graphql.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { cardsAddedSince, getCardForCharge, MAX_CARDS_PER_PLAYER } from '../../../src/modules/cards/index.js';
import { storedFingerprint } from '../../../src/modules/cards/fingerprint.js';
import {
  ADD_CARD,
  addCard,
  CARD_NODE,
  cardInput,
  listCards,
  PREFILL,
  rawId,
  REMOVE_CARD,
  SET_DEFAULT_CARD,
  signUpPlayer,
  TEST_CARDS,
} from './flows.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app?.close());

async function cardRows(playerId: string): Promise<Record<string, any>[]> {
  const result = await app.database.db.execute(
    sql`select * from cards where player_id = ${playerId} order by created_at`,
  );
  return (result as unknown as { rows: Record<string, any>[] }).rows;
}

describe('verification of the sandbox test cards', () => {
  // Per src/acquirer/test-cards.ts only these four decline at verification; the rest decline (or step up) on charges.
  const approved: [keyof typeof TEST_CARDS, string, string][] = [
    ['visa', 'visa', '4242'],
    ['mastercard', 'mastercard', '4444'],
    ['amex', 'american-express', '0005'],
    ['stepUp', 'visa', '3184'],
    ['highestRisk', 'visa', '0019'],
    ['disputed', 'visa', '0259'],
    ['processingError', 'visa', '0119'],
    ['declinesCharges', 'visa', '0341'],
    ['elevatedRisk', 'visa', '9235'],
  ];
  it.each(approved)('stores %s as a token with brand %s and last4 %s', async (name, brand, last4) => {
    const player = await signUpPlayer(app);
    const card = await addCard(app, player.token, TEST_CARDS[name]);
    expect(card).toMatchObject({ brand, last4, expMonth: 12, holderName: 'Ada Lovelace', isDefault: true });
    const [row] = await cardRows(player.id);
    expect(row!.acquirer_token).toMatch(/^tok_/);
    // A published test card is fingerprinted per player in sandbox mode (see storedFingerprint).
    expect(row!.fingerprint).toBe(
      storedFingerprint(
        app.config.secrets.cardFingerprintKey,
        TEST_CARDS[name].replace(/ /g, ''),
        player.id,
        app.config.sandbox,
      ),
    );
  });

  const declined: [keyof typeof TEST_CARDS, string][] = [
    ['genericDecline', 'generic_decline'],
    ['insufficientFunds', 'insufficient_funds'],
    ['expiredCard', 'expired_card'],
    ['incorrectCvc', 'incorrect_cvc'],
  ];
  it.each(declined)('answers %s with CardDeclined %s and stores nothing', async (name, declineCode) => {
    const player = await signUpPlayer(app);
    const result = await app.gql(ADD_CARD, { input: cardInput(TEST_CARDS[name]) }, { token: player.token });
    expect(result.data.addCard).toMatchObject({ __typename: 'CardDeclined', code: 'CARD_DECLINED', declineCode });
    expect(await cardRows(player.id)).toEqual([]);
    expect(await listCards(app, player.token)).toEqual([]);
  });

  it('accepts holder names in any script', async () => {
    const player = await signUpPlayer(app);
    const card = await addCard(app, player.token, TEST_CARDS.visa, { holderName: '  José  Müller-Østergård ' });
    expect(card.holderName).toBe('José Müller-Østergård');
    const other = await signUpPlayer(app);
    expect((await addCard(app, other.token, TEST_CARDS.visa, { holderName: '山田 太郎' })).holderName).toBe(
      '山田 太郎',
    );
  });
});

describe('the same card added again', () => {
  it('returns the card already on file, however the number is grouped, without asking the acquirer', async () => {
    const player = await signUpPlayer(app);
    const first = await addCard(app, player.token, '4242 4242 4242 4242');
    const spy = vi.spyOn(app.deps.acquirer, 'tokenizeCard');
    try {
      const again = await addCard(app, player.token, '4242-4242-4242-4242', { holderName: 'Someone Else' });
      const plain = await addCard(app, player.token, '4242424242424242');
      expect(again.id).toBe(first.id);
      expect(plain).toEqual(first);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(await cardRows(player.id)).toHaveLength(1);
  });

  it('is a card of its own for each player', async () => {
    const one = await signUpPlayer(app);
    const two = await signUpPlayer(app);
    const a = await addCard(app, one.token, TEST_CARDS.mastercard);
    const b = await addCard(app, two.token, TEST_CARDS.mastercard);
    expect(a.id).not.toBe(b.id);
    expect(b.isDefault).toBe(true);
  });

  it('is added anew once the card was removed', async () => {
    const player = await signUpPlayer(app);
    const first = await addCard(app, player.token, TEST_CARDS.visa);
    await app.gql(REMOVE_CARD, { input: { cardId: first.id } }, { token: player.token });
    const again = await addCard(app, player.token, TEST_CARDS.visa);
    expect(again.id).not.toBe(first.id);
    expect(again.isDefault).toBe(true);
    expect(await cardRows(player.id)).toHaveLength(2);
  });
});

describe('the default card', () => {
  it('is the first card; makeDefault, setDefaultCard and a duplicate with makeDefault move it', async () => {
    const player = await signUpPlayer(app);
    const visa = await addCard(app, player.token, TEST_CARDS.visa);
    const mastercard = await addCard(app, player.token, TEST_CARDS.mastercard);
    expect([visa.isDefault, mastercard.isDefault]).toEqual([true, false]);

    const amex = await addCard(app, player.token, TEST_CARDS.amex, { makeDefault: true });
    expect(amex.isDefault).toBe(true);
    expect((await listCards(app, player.token)).map((c) => [c.last4, c.isDefault])).toEqual([
      ['4242', false],
      ['4444', false],
      ['0005', true],
    ]);

    const set = await app.gql(SET_DEFAULT_CARD, { input: { cardId: mastercard.id } }, { token: player.token });
    expect(set.data.setDefaultCard).toMatchObject({
      __typename: 'SetDefaultCardPayload',
      card: { id: mastercard.id, isDefault: true },
    });
    expect((await listCards(app, player.token)).filter((c) => c.isDefault).map((c) => c.id)).toEqual([mastercard.id]);

    const again = await addCard(app, player.token, TEST_CARDS.visa, { makeDefault: true });
    expect(again).toMatchObject({ id: visa.id, isDefault: true });
    expect((await listCards(app, player.token)).filter((c) => c.isDefault).map((c) => c.id)).toEqual([visa.id]);
  });

  it('passes to the newest remaining card when the default is removed, and to none when the last goes', async () => {
    const player = await signUpPlayer(app);
    const visa = await addCard(app, player.token, TEST_CARDS.visa);
    const mastercard = await addCard(app, player.token, TEST_CARDS.mastercard);
    const amex = await addCard(app, player.token, TEST_CARDS.amex);

    const removed = await app.gql(REMOVE_CARD, { input: { cardId: visa.id } }, { token: player.token });
    expect(removed.data.removeCard).toMatchObject({
      __typename: 'RemoveCardPayload',
      card: { id: visa.id, isDefault: false },
    });
    expect((await listCards(app, player.token)).map((c) => [c.id, c.isDefault])).toEqual([
      [mastercard.id, false],
      [amex.id, true],
    ]);

    // Removing a card that is not the default leaves the default alone.
    await app.gql(REMOVE_CARD, { input: { cardId: mastercard.id } }, { token: player.token });
    expect((await listCards(app, player.token)).map((c) => [c.id, c.isDefault])).toEqual([[amex.id, true]]);

    await app.gql(REMOVE_CARD, { input: { cardId: amex.id } }, { token: player.token });
    expect(await listCards(app, player.token)).toEqual([]);
    const prefill = await app.gql(PREFILL, {}, { token: player.token });
    expect(prefill.data.viewer.defaultCard).toBeNull();

    const twice = await app.gql(REMOVE_CARD, { input: { cardId: amex.id } }, { token: player.token });
    expect(twice.data.removeCard).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
  });

  it('is what getCardForCharge returns, with its acquirer token; a given card instead when asked', async () => {
    const player = await signUpPlayer(app);
    const { db } = app.database;
    await expect(getCardForCharge(db, player.id, null)).rejects.toMatchObject({ code: 'NO_CARD_ON_FILE' });
    const visa = await addCard(app, player.token, TEST_CARDS.visa);
    const mastercard = await addCard(app, player.token, TEST_CARDS.mastercard);
    const byDefault = await getCardForCharge(db, player.id, null);
    expect(byDefault).toMatchObject({ cardId: rawId(visa.id), playerId: player.id, brand: 'visa', last4: '4242' });
    expect(byDefault.acquirerToken).toMatch(/^tok_/);
    expect((await getCardForCharge(db, player.id, rawId(mastercard.id))).last4).toBe('4444');

    await app.gql(REMOVE_CARD, { input: { cardId: mastercard.id } }, { token: player.token });
    await expect(getCardForCharge(db, player.id, rawId(mastercard.id))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getCardForCharge(db, player.id, 'not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const added = await cardsAddedSince(db, player.id, new Date(Date.now() - 60_000));
    expect(added.map((c) => [c.cardId, c.removed])).toEqual([
      [rawId(visa.id), false],
      [rawId(mastercard.id), true],
    ]);
    expect(await cardsAddedSince(db, player.id, new Date(Date.now() + 60_000))).toEqual([]);
  });
});

describe('concurrent requests', () => {
  it('the same card added twice at once is stored once', async () => {
    const player = await signUpPlayer(app);
    const results = await Promise.all(
      [0, 1, 2].map(() => app.gql(ADD_CARD, { input: cardInput(TEST_CARDS.visa) }, { token: player.token })),
    );
    const ids = new Set(results.map((r) => expectTypename(r.data.addCard, 'AddCardPayload').card.id));
    expect(ids.size).toBe(1);
    expect(await cardRows(player.id)).toHaveLength(1);
  });

  it('two first cards at once leave exactly one default', async () => {
    const player = await signUpPlayer(app);
    const results = await Promise.all(
      [TEST_CARDS.visa, TEST_CARDS.mastercard, TEST_CARDS.amex].map((n) =>
        app.gql(ADD_CARD, { input: cardInput(n) }, { token: player.token }),
      ),
    );
    expect(results.map((r) => r.data.addCard.__typename)).toEqual([
      'AddCardPayload',
      'AddCardPayload',
      'AddCardPayload',
    ]);
    expect((await cardRows(player.id)).filter((row) => row.is_default)).toHaveLength(1);
  });
});

describe("another player's card", () => {
  it('cannot be read, removed, made default or charged: NotFound', async () => {
    const owner = await signUpPlayer(app);
    const other = await signUpPlayer(app);
    const card = await addCard(app, owner.token, TEST_CARDS.visa);
    await addCard(app, other.token, TEST_CARDS.mastercard);

    const read = await app.gql(CARD_NODE, { id: card.id }, { token: other.token });
    expect(read.data?.node ?? null).toBeNull();
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const remove = await app.gql(REMOVE_CARD, { input: { cardId: card.id } }, { token: other.token });
    expect(remove.data.removeCard).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    const setDefault = await app.gql(SET_DEFAULT_CARD, { input: { cardId: card.id } }, { token: other.token });
    expect(setDefault.data.setDefaultCard).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    await expect(getCardForCharge(app.database.db, other.id, rawId(card.id))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    // Nothing changed for the owner, who can still read it.
    const own = await app.gql(CARD_NODE, { id: card.id }, { token: owner.token });
    expect(own.data.node).toMatchObject({ __typename: 'Card', id: card.id, isDefault: true });
  });

  it('answers a malformed card id with a ValidationError', async () => {
    const player = await signUpPlayer(app);
    const result = await app.gql(REMOVE_CARD, { input: { cardId: 'not-a-global-id' } }, { token: player.token });
    expect(result.data.removeCard).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: 'input.cardId' }],
    });
  });
});

describe('limits', () => {
  it('blocks card verification after 3 declined cards in an hour (card testing), before calling the acquirer', async () => {
    const player = await signUpPlayer(app);
    for (let i = 0; i < 3; i++) {
      const result = await app.gql(ADD_CARD, { input: cardInput(TEST_CARDS.genericDecline) }, { token: player.token });
      expect(result.data.addCard.__typename).toBe('CardDeclined');
    }
    const spy = vi.spyOn(app.deps.acquirer, 'tokenizeCard');
    try {
      const blocked = await app.gql(ADD_CARD, { input: cardInput(TEST_CARDS.visa) }, { token: player.token });
      expect(blocked.data.addCard).toMatchObject({ __typename: 'RiskBlocked', code: 'RISK_BLOCKED' });
      expect(expectTypename(blocked.data.addCard, 'RiskBlocked').retryAfterSeconds).toBeGreaterThan(0);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(await cardRows(player.id)).toEqual([]);
  });

  it(`keeps at most ${MAX_CARDS_PER_PLAYER} cards per player`, async () => {
    const player = await signUpPlayer(app);
    // Rows written directly: verifying twenty cards would hit the verification rate limit first.
    for (let i = 0; i < MAX_CARDS_PER_PLAYER; i++) {
      await app.database.db.execute(
        sql`insert into cards (id, player_id, acquirer_token, brand, last4, exp_month, exp_year, holder_name, fingerprint, is_default)
            values (gen_random_uuid(), ${player.id}, ${`tok_fixture_${i}`}, 'visa', '0000', 1, 2099, 'Fixture', ${`fp-${i}`}, ${i === 0})`,
      );
    }
    const result = await app.gql(ADD_CARD, { input: cardInput(TEST_CARDS.mastercard) }, { token: player.token });
    expect(result.data.addCard).toMatchObject({ __typename: 'LimitReached', code: 'LIMIT_REACHED' });
    expect(await cardRows(player.id)).toHaveLength(MAX_CARDS_PER_PLAYER);
  });
});
