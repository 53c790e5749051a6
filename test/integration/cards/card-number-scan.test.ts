import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TadaDocumentNode } from '../../helpers/graphql.js';
import { createTestApp, type GqlOptions, type TestApp } from '../../helpers/test-app.js';
import { createLogger } from '../../../src/logger.js';
import { createGame, signUpDeveloper } from '../catalog/flows.js';
import {
  ADD_CARD,
  AUTHORIZATIONS,
  authorizeGame,
  CARD_NODE,
  cardInput,
  CARDS,
  PREFILL,
  REMOVE_CARD,
  SET_DEFAULT_CARD,
  signUpPlayer,
  TEST_CARDS,
} from './flows.js';

/**
 * The security requirement of issue 3: after a full flow with several test cards, no full card
 * number (with or without spaces or dashes) and no CVC is in any log line, GraphQL response, or
 * column of any table (the acquirer's own tables included, which keep numbers only encrypted).
 */

// CVCs with a leading zero: no JSON number, duration or count ever prints like that.
const CARDS_USED = [
  { number: TEST_CARDS.visa, cvc: '071' },
  { number: TEST_CARDS.mastercard, cvc: '093' },
  { number: TEST_CARDS.amex, cvc: '0815' },
  { number: TEST_CARDS.genericDecline, cvc: '042' },
  { number: TEST_CARDS.incorrectCvc, cvc: '058' },
  { number: TEST_CARDS.stepUp, cvc: '064' },
  { number: TEST_CARDS.elevatedRisk, cvc: '037' },
] as const;

const digitsOf = (n: string) => n.replace(/\D/g, '');
/** Every way a number may be written: as typed, bare, in groups of four with spaces or dashes. */
function numberForms(number: string): string[] {
  const digits = digitsOf(number);
  const fours = digits.match(/.{1,4}/g)!;
  return [...new Set([number, digits, fours.join(' '), fours.join('-'), number.replace(/ /g, '-')])];
}
const NUMBER_NEEDLES = [...new Set(CARDS_USED.flatMap((c) => numberForms(c.number)))];
const CVCS = CARDS_USED.map((c) => c.cvc);

/** What of the cards used appears in `text`: a number in any form, or a CVC as a token of its own. */
function findCardData(text: string): string[] {
  const found = NUMBER_NEEDLES.filter((needle) => text.includes(needle));
  for (const cvc of CVCS) if (new RegExp(`(?<![0-9A-Za-z])${cvc}(?![0-9A-Za-z])`).test(text)) found.push(`cvc ${cvc}`);
  return found;
}

const logLines: string[] = [];
const responses: string[] = [];
let app: TestApp;

beforeAll(async () => {
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  );
  app = await createTestApp({ logger });
});
afterAll(() => app?.close());

/** Runs a GraphQL operation and keeps its response for the scan. */
async function gql<R, V>(document: TadaDocumentNode<R, V>, variables: V, options: GqlOptions = {}) {
  const result = await app.gql(document, variables, options);
  responses.push(`${JSON.stringify(Object.fromEntries(result.headers))}\n${result.text}`);
  return result;
}

/** A raw request (bodies GraphQL variables cannot express); its response is kept for the scan. */
async function rawGraphql(body: string, token: string): Promise<string> {
  const response = await app.app.fetch('http://coinslot.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const text = await response.text();
  responses.push(text);
  return text;
}

/** Arms a fault at the in-process acquirer (test mode), or clears them all when `fault` is null. */
async function acquirerFault(fault: Record<string, unknown> | null): Promise<void> {
  const url = /sandbox acquirer: (\S+)/.exec(app.banner.join('\n'))?.[1];
  expect(url, 'the in-process acquirer URL is in the banner').toBeTruthy();
  const response = await fetch(`${url}/v1/test/faults`, {
    method: fault ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.config.secrets.acquirerSecret}` },
    ...(fault ? { body: JSON.stringify(fault) } : {}),
  });
  expect(response.status).toBe(fault ? 201 : 204);
}

async function runFullFlow(): Promise<{ acquirerToken: string }> {
  const developer = await signUpDeveloper(app, 'scan');
  const game = await createGame(app, developer);
  const alice = await signUpPlayer(app, 'Alice Scan');
  const bob = await signUpPlayer(app, 'Bob Scan');
  const carol = await signUpPlayer(app, 'Carol Scan');

  const outcomes: string[] = [];
  // Spread over two players: a sixth card for one player in a day is refused by the fraud rules.
  for (const [index, { number, cvc }] of CARDS_USED.entries()) {
    const result = await gql(
      ADD_CARD,
      { input: cardInput(number, { cvc }) },
      { token: index < 4 ? alice.token : carol.token },
    );
    outcomes.push(result.data.addCard.__typename);
  }
  expect(outcomes).toEqual([
    'AddCardPayload',
    'AddCardPayload',
    'AddCardPayload',
    'CardDeclined',
    'CardDeclined',
    'AddCardPayload',
    'AddCardPayload',
  ]);

  // The same card again, dashed, under an idempotency key (its response is stored and replayed), and by another player.
  const headers = { 'idempotency-key': `scan-${Date.now()}` };
  const dashed = cardInput('4242-4242-4242-4242', { cvc: '071' });
  for (let i = 0; i < 2; i++)
    expect((await gql(ADD_CARD, { input: dashed }, { token: alice.token, headers })).data.addCard.__typename).toBe(
      'AddCardPayload',
    );
  const bobsCard = await gql(
    ADD_CARD,
    { input: cardInput(TEST_CARDS.visa, { cvc: '071', makeDefault: true }) },
    { token: bob.token },
  );
  expect(bobsCard.data.addCard.__typename).toBe('AddCardPayload');

  // The acquirer failing: once before doing anything (retried, then unavailable), once dropping the line after tokenizing.
  await acquirerFault({ mode: 'error_before_charge', path: '/v1/tokens', count: 10 });
  const unavailable = await gql(
    ADD_CARD,
    { input: cardInput(TEST_CARDS.disputed, { cvc: '071' }) },
    { token: bob.token },
  );
  expect(unavailable.data.addCard.__typename).toBe('ServiceUnavailable');
  await acquirerFault(null);
  await acquirerFault({ mode: 'drop_connection', phase: 'after', path: '/v1/tokens', count: 1 });
  const retried = await gql(
    ADD_CARD,
    { input: cardInput(TEST_CARDS.mastercard, { cvc: '093' }) },
    { token: bob.token },
  );
  expect(retried.data.addCard.__typename).toBe('AddCardPayload');

  // Bad input that graphql-js would echo: a number given as a number, a CVC as a list, literals in the query, a name holding the number.
  expect(
    await rawGraphql(
      JSON.stringify({ query: print(ADD_CARD), variables: { input: { ...cardInput('x'), number: 4242424242424242 } } }),
      alice.token,
    ),
  ).toContain('errors');
  expect(
    await rawGraphql(
      JSON.stringify({
        query: print(ADD_CARD),
        variables: { input: { ...cardInput(TEST_CARDS.amex), cvc: ['0815'] } },
      }),
      alice.token,
    ),
  ).toContain('errors');
  expect(
    await rawGraphql(
      JSON.stringify({ query: print(ADD_CARD), variables: { input: { number: TEST_CARDS.visa, cvc: '071' } } }),
      alice.token,
    ),
  ).toContain('errors');
  const literal = `mutation { addCard(input: {number: 5555555555554444, cvc: "093", expMonth: 1, expYear: 2040, holderName: "L"}) { __typename } }`;
  expect(await rawGraphql(JSON.stringify({ query: literal }), alice.token)).toContain('errors');
  const literalCvc = `mutation { addCard(input: {number: "5555 5555 5555 4444", cvc: 93, expMonth: 1, expYear: 2040, holderName: "L"}) { __typename } }`;
  expect(await rawGraphql(JSON.stringify({ query: literalCvc }), alice.token)).toContain('errors');
  expect(
    await rawGraphql(
      `{"query": "mutation { addCard(input: {number: \\"${TEST_CARDS.visa}\\" cvc: \\"071\\" `,
      alice.token,
    ),
  ).toContain('errors');
  for (const holderName of [TEST_CARDS.mastercard, `Ada ${digitsOf(TEST_CARDS.visa)}`]) {
    expect(
      (await gql(ADD_CARD, { input: cardInput(TEST_CARDS.visa, { cvc: '071', holderName }) }, { token: alice.token }))
        .data.addCard.__typename,
    ).toBe('CardInvalid');
  }
  for (const number of ['4242 4242 4242 4241', `${digitsOf(TEST_CARDS.visa)}0000`]) {
    expect(
      (await gql(ADD_CARD, { input: cardInput(number, { cvc: '071' }) }, { token: alice.token })).data.addCard
        .__typename,
    ).toBe('CardInvalid');
  }

  // Reading, changing and using the cards.
  const cards = (await gql(CARDS, {}, { token: alice.token })).data.viewer.cards;
  expect(cards.map((c) => c.last4)).toEqual(['4242', '4444', '0005']);
  for (const card of cards) await gql(CARD_NODE, { id: card.id }, { token: alice.token });
  await gql(CARD_NODE, { id: cards[0]!.id }, { token: bob.token });
  await gql(SET_DEFAULT_CARD, { input: { cardId: cards[1]!.id } }, { token: alice.token });
  await gql(REMOVE_CARD, { input: { cardId: cards[1]!.id } }, { token: alice.token });
  const { gameToken } = await authorizeGame(app, alice.token, game.id);
  expect((await gql(PREFILL, {}, { token: gameToken })).data.viewer.defaultCard).toEqual({
    brand: 'american-express',
    last4: '0005',
  });
  await gql(CARDS, {}, { token: gameToken });
  await gql(AUTHORIZATIONS, {}, { token: alice.token });

  const result = (await app.database.db.execute(
    sql`select acquirer_token from cards where player_id = ${alice.id} and last4 = '4242' and removed_at is null`,
  )) as unknown as { rows: { acquirer_token: string }[] };
  return { acquirerToken: result.rows[0]!.acquirer_token };
}

interface Column {
  readonly table_schema: string;
  readonly table_name: string;
  readonly column_name: string;
  readonly data_type: string;
}

/** Where a CVC could be kept at all; a timestamp's milliseconds (".042+00") are not a CVC. */
const TEXT_TYPES = new Set([
  'text',
  'character varying',
  'character',
  'json',
  'jsonb',
  'bytea',
  'ARRAY',
  'USER-DEFINED',
]);

/**
 * Values of every column of every table (Coinslot's, drizzle's migrations, the acquirer's) whose text
 * holds any of the needles; `textOnly` skips numbers, timestamps, uuids and booleans.
 */
async function scanDatabase(needles: readonly string[], textOnly = false): Promise<{ where: string; value: string }[]> {
  const columns = (await app.database.db.execute(sql`
    select c.table_schema, c.table_name, c.column_name, c.data_type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
    order by 1, 2, 3
  `)) as unknown as { rows: Column[] };
  const pattern = needles.map((n) => n.replace(/[^0-9A-Za-z_ ]/g, (ch) => `\\${ch}`)).join('|');
  const hits: { where: string; value: string }[] = [];
  for (const column of columns.rows) {
    if (textOnly && !TEXT_TYPES.has(column.data_type)) continue;
    const target = sql.raw(`"${column.table_schema}"."${column.table_name}"`);
    const value = sql.raw(`"${column.column_name}"::text`);
    const rows = (await app.database.db.execute(
      sql`select ${value} as v from ${target} where ${value} ~ ${pattern}`,
    )) as unknown as {
      rows: { v: string }[];
    };
    for (const row of rows.rows)
      hits.push({ where: `${column.table_schema}.${column.table_name}.${column.column_name}`, value: row.v });
  }
  return hits;
}

describe('card numbers and CVCs', () => {
  let acquirerToken: string;
  beforeAll(async () => {
    ({ acquirerToken } = await runFullFlow());
  });

  it('the scanner finds a number or a CVC where there is one', () => {
    expect(findCardData(`{"input":{"number":"${TEST_CARDS.visa}"}}`)).toContain(TEST_CARDS.visa);
    expect(findCardData('card 4000-0000-0000-0002 declined')).toContain('4000-0000-0000-0002');
    expect(findCardData('{"cvc":"0815"}')).toContain('cvc 0815');
    expect(findCardData('"at":"2026-11-27T04:57:39.071Z","ms":93,"id":"a0710b"')).toEqual([]);
  });

  it('appear in no log line', () => {
    // The capture works: the flow's own lines are there, acquirer failures included.
    expect(logLines.length).toBeGreaterThan(20);
    expect(logLines.some((line) => line.includes('sandbox acquirer listening'))).toBe(true);
    expect(logLines.some((line) => line.includes('acquirer call failed'))).toBe(true);
    const leaks = logLines.flatMap((line) => findCardData(line).map((hit) => `${hit} in ${line.slice(0, 300)}`));
    expect(leaks).toEqual([]);
  });

  it('appear in no GraphQL response or error', () => {
    expect(responses.length).toBeGreaterThan(30);
    expect(responses.some((r) => r.includes('CardInvalid')) && responses.some((r) => r.includes('"errors"'))).toBe(
      true,
    );
    const leaks = responses.flatMap((text) => findCardData(text).map((hit) => `${hit} in ${text.slice(0, 300)}`));
    expect(leaks).toEqual([]);
  });

  it('appear in no column of any table, the acquirer tables included', async () => {
    // The same scan finds a value that is stored: the acquirer token, in cards and in the acquirer's own tables.
    const control = await scanDatabase([acquirerToken]);
    expect(control.map((h) => h.where)).toEqual(
      expect.arrayContaining(['public.cards.acquirer_token', 'public.acquirer_cards.token']),
    );

    const numbers = await scanDatabase(NUMBER_NEEDLES);
    expect(numbers.map((hit) => `${hit.where}: ${hit.value.slice(0, 200)}`)).toEqual([]);
    const cvcs = await scanDatabase(CVCS, true);
    const leaks = cvcs.flatMap((hit) =>
      findCardData(hit.value).map((found) => `${found} in ${hit.where}: ${hit.value.slice(0, 200)}`),
    );
    expect(leaks).toEqual([]);
  });
});
