import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { openDatabase, type DatabaseHandle } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import { createAcquirerServer, type AcquirerServer } from '../../../src/acquirer/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { expectTypename } from '../../helpers/graphql.js';
import { ADD_CARD, type AddCardInput, cardInput, listCards, signUpPlayer, TEST_CARDS, type Player } from './flows.js';

// Mid-June 2030 on every clock (Coinslot's and the acquirer's), so that "past" expiries are exact.
const clock = new ManualClock(new Date('2030-06-15T12:00:00Z'));
const ACQUIRER_SECRET = 'cards-bad-input-acquirer-secret-0123456789';
const MEGABYTE = 1024 * 1024;

let app: TestApp;
let acquirerDb: DatabaseHandle;
let acquirer: AcquirerServer;
let player: Player;

// The sandbox acquirer on a real port with a private embedded database, so that its tables count only this file's calls.
beforeAll(async () => {
  acquirerDb = await openDatabase({ dataDir: '', inMemory: true });
  await runMigrations(acquirerDb);
  acquirer = createAcquirerServer({
    db: acquirerDb.db,
    secret: ACQUIRER_SECRET,
    testMode: true,
    clock,
    disputeDelayMs: 60_000,
    logger: pino({ level: 'silent' }),
  });
  const url = await acquirer.listen(0);
  // No background jobs: this clock is years ahead, and their recovery would settle other files' purchases.
  app = await createTestApp({ clock, env: { ACQUIRER_URL: url, ACQUIRER_SECRET, BACKGROUND_JOBS: 'false' } });
  player = await signUpPlayer(app);
});
afterAll(async () => {
  await app?.close();
  await acquirer?.close();
  await acquirerDb?.close();
});

/** Rows in the acquirer's card and idempotency tables: every verification leaves one or the other. */
async function acquirerRows(): Promise<{ cards: number; requests: number }> {
  const count = async (table: string) => {
    const result = (await acquirerDb.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as {
      rows: { n: number }[];
    };
    return Number(result.rows[0]!.n);
  };
  return { cards: await count('acquirer_cards'), requests: await count('acquirer_idempotency_keys') };
}

const VISA = TEST_CARDS.visa;
const AMEX = TEST_CARDS.amex;
/** A good Visa input on this file's clock, with one thing changed. */
const input = (override: Partial<AddCardInput> = {}, number: string = VISA) =>
  cardInput(number, { expYear: 2032, ...override });

const cases: [string, Partial<AddCardInput>, string, string][] = [
  ['letters in the number', { number: '4242 4242 4242 abcd' }, 'number', 'invalid_characters'],
  ['a number of letters only', { number: 'four two four two' }, 'number', 'invalid_characters'],
  ['other punctuation in the number', { number: '4242.4242.4242.4242' }, 'number', 'invalid_characters'],
  ['full-width unicode digits', { number: '４２４２ ４２４２ ４２４２ ４２４２' }, 'number', 'invalid_characters'],
  ['Arabic-Indic digits', { number: '٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢' }, 'number', 'invalid_characters'],
  ['an emoji in the number', { number: '4242 4242 4242 424💳' }, 'number', 'invalid_characters'],
  ['an empty number', { number: '' }, 'number', 'required'],
  ['only separators', { number: ' - - ' }, 'number', 'required'],
  ['too few digits', { number: '4242' }, 'number', 'too_short'],
  ['30 digits', { number: '424242424242424242424242424242' }, 'number', 'too_long'],
  ['a megabyte of digits', { number: '4'.repeat(MEGABYTE) }, 'number', 'too_long'],
  ['a megabyte of letters', { number: 'x'.repeat(MEGABYTE) }, 'number', 'too_long'],
  ['a Luhn failure', { number: '4242 4242 4242 4241' }, 'number', 'luhn_check_failed'],
  ['a length the brand does not have', { number: '4242 4242 4242 42' }, 'number', 'wrong_length'],
  ['a number of no known brand', { number: '9999 9999 9999 9995' }, 'number', 'unknown_brand'],
  ['month 13', { expMonth: 13 }, 'expMonth', 'out_of_range'],
  ['month 0', { expMonth: 0 }, 'expMonth', 'out_of_range'],
  ['a past year', { expMonth: 12, expYear: 2029 }, 'expYear', 'expired'],
  ['a past month of this year', { expMonth: 5, expYear: 2030 }, 'expYear', 'expired'],
  ['a two-digit year', { expYear: 31 }, 'expYear', 'four_digits_expected'],
  ['a year too far ahead', { expYear: 2051 }, 'expYear', 'too_far_ahead'],
  ['a 2-digit CVC', { cvc: '12' }, 'cvc', 'three_digits_expected'],
  ['a 4-digit CVC on a Visa', { cvc: '1234' }, 'cvc', 'three_digits_expected'],
  ['a 3-digit CVC on an American Express', { number: AMEX, cvc: '123' }, 'cvc', 'four_digits_expected'],
  ['letters in the CVC', { cvc: '12a' }, 'cvc', 'invalid_characters'],
  ['an empty CVC', { cvc: '' }, 'cvc', 'required'],
  ['a megabyte CVC', { cvc: '1'.repeat(MEGABYTE) }, 'cvc', 'too_long'],
  ['an empty holder', { holderName: '' }, 'holderName', 'required'],
  ['a blank holder', { holderName: '   ' }, 'holderName', 'required'],
  ['a holder of 101 characters', { holderName: 'a'.repeat(101) }, 'holderName', 'too_long'],
  ['a megabyte holder', { holderName: 'é'.repeat(MEGABYTE) }, 'holderName', 'too_long'],
  ['a control character in the holder', { holderName: 'Ada\u0000Lovelace' }, 'holderName', 'not_printable'],
  ['a newline in the holder', { holderName: 'Ada\nLovelace' }, 'holderName', 'not_printable'],
  ['a zero-width character in the holder', { holderName: 'Ada\u200bLovelace' }, 'holderName', 'not_printable'],
  ['the card number as the holder', { holderName: '4242 4242 4242 4242' }, 'holderName', 'invalid'],
  ['a card number inside the holder', { holderName: 'Ada 4242424242424242' }, 'holderName', 'contains_digits'],
];

describe('bad card input', () => {
  it.each(cases)(
    'answers %s with CardInvalid, stores nothing and never calls the acquirer',
    async (_name, override, field, reason) => {
      const before = await acquirerRows();
      const spy = vi.spyOn(app.deps.acquirer, 'tokenizeCard');
      try {
        const result = await app.gql(ADD_CARD, { input: input(override) }, { token: player.token });
        expect(result.errors).toBeUndefined();
        expect(result.data.addCard).toMatchObject({ __typename: 'CardInvalid', code: 'CARD_INVALID', field, reason });
        // The message names the field and the reason, never the value.
        expect(expectTypename(result.data.addCard, 'CardInvalid').message).toBe(`Card ${field} is invalid: ${reason}.`);
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
      expect(await acquirerRows()).toEqual(before);
      expect(await listCards(app, player.token)).toEqual([]);
    },
  );

  it('reaches the acquirer only for good input: a decline leaves a stored request, a good card a token', async () => {
    // Proves the counts above would have moved had the acquirer been called.
    const before = await acquirerRows();
    const declined = await app.gql(ADD_CARD, { input: input({}, TEST_CARDS.genericDecline) }, { token: player.token });
    expect(declined.data.addCard).toMatchObject({ __typename: 'CardDeclined', declineCode: 'generic_decline' });
    const afterDecline = await acquirerRows();
    expect(afterDecline).toEqual({ cards: before.cards, requests: before.requests + 1 });

    const added = await app.gql(ADD_CARD, { input: input({ expMonth: 6, expYear: 2030 }) }, { token: player.token });
    expect(added.data.addCard).toMatchObject({
      __typename: 'AddCardPayload',
      card: { last4: '4242', expMonth: 6, expYear: 2030 },
    });
    expect(await acquirerRows()).toEqual({ cards: before.cards + 1, requests: before.requests + 2 });
  });

  it('needs a player session even to be told the input is bad', async () => {
    const result = await app.gql(ADD_CARD, { input: input({ number: 'nope' }) });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data?.addCard ?? null).toBeNull();
  });
});
