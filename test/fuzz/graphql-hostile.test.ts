// Random and hostile GraphQL requests against app.fetch: malformed bodies, wrong types, huge numbers, 1 MB
// strings, unicode, deep and wide queries, aliases by the thousand. Never a 500, never an unexpected error
// (logged as "unexpected error in GraphQL"), only typed answers; and mutations that must fail write nothing.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTypename } from '../helpers/graphql.js';
import { buyTyped, setUpGame, setUpPlayer, type GameSetup, type PlayerSetup } from '../helpers/flows.js';
import { isolatedDatabase } from '../helpers/isolated-database.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const MEGABYTE = 'x'.repeat(1024 * 1024);
const UNICODE_MEGABYTE = '€😀\u202e'.repeat((1024 * 1024) / 8);

/** Values a client should never send: wrong types, edge numbers, odd unicode, injections, huge strings. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    '',
    ' ',
    '\u0000',
    '\u202e',
    '\ud800',
    '\udfff',
    '𝟘𝟙',
    '٣٤',
    '１２',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    '-1',
    '99.0',
    ' 99',
    '99 ',
    '<script>alert(1)</script>',
    "' or 1=1 --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell probe, meant as plain text
    '${jndi:ldap://x/a}',
    '../../etc/passwd',
    '%00',
    'UHVyY2hhc2U6MQ==',
    [],
    {},
    [[[]]],
    { amount: '1', currency: 'USD' },
    ['a', 1, null],
    { __proto__: { admin: true } },
  ),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 32 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(MEGABYTE, UNICODE_MEGABYTE),
);

/**
 * fast-check options for this file: no shrinking (a megabyte string shrinks slowly), and a report whose long
 * runs of text are cut, so that a failure with a 1 MB input stays readable.
 */
function options<T>(numRuns: number): fc.Parameters<T> {
  return {
    numRuns,
    endOnFailure: true,
    reporter: (details) => {
      if (!details.failed) return;
      const message = fc.defaultReportMessage(details) ?? 'property failed';
      throw new Error(message.replace(/([^\n]{300})[^\n]{200,}/g, (_m, head: string) => `${head}…(cut)`));
    },
  };
}

/** Text that is safe in a URL even when a slice split a surrogate pair. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udfff]/g, '\ufffd');

const CREATE_PURCHASE = `mutation ($input: CreatePurchaseInput!) { createPurchase(input: $input) { __typename ... on Error { code message } } }`;
const CONFIRM_PURCHASE = `mutation ($input: ConfirmPurchaseInput!) { confirmPurchase(input: $input) { __typename ... on Error { code message } } }`;
const CONSUME = `mutation ($input: ConsumeItemInput!) { consumeItem(input: $input) { __typename ... on Error { code message } } }`;
const REFUND = `mutation ($input: RefundPurchaseInput!) { refundPurchase(input: $input) { __typename ... on Error { code message } } }`;
const ADD_CARD = `mutation ($input: AddCardInput!) { addCard(input: $input) { __typename ... on Error { code message } } }`;
const SIGN_UP = `mutation ($input: SignUpPlayerInput!) { signUpPlayer(input: $input) { __typename ... on Error { code message } } }`;
const CREATE_ITEM = `mutation ($input: CreateItemInput!) { createItem(input: $input) { __typename ... on Error { code message } } }`;
const AUTHORIZE = `mutation ($input: AuthorizeGameInput!) { authorizeGame(input: $input) { __typename ... on Error { code message } } }`;
const RISK = `mutation ($input: UpdateRiskSettingsInput!) { updateRiskSettings(input: $input) { __typename ... on Error { code message } } }`;

interface Sent {
  readonly status: number;
  readonly text: string;
  readonly json: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | null;
}

describe('hostile GraphQL input', () => {
  let app: TestApp;
  let game: GameSetup;
  let player: PlayerSetup;
  let purchaseId: string;
  let tables: string[];
  const logged: string[] = [];

  beforeAll(async () => {
    // Its own database, so that counting every table's rows sees only this file's writes.
    const url = await isolatedDatabase('fuzz_gql');
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    app = await createTestApp({
      logger,
      env: {
        DATABASE_URL: url,
        BACKGROUND_JOBS: 'false',
        WEBHOOK_DISPATCHER: 'off',
        API_RATE_LIMIT_PER_CREDENTIAL: '1000000',
        API_RATE_LIMIT_PER_IP: '1000000',
      },
    });
    game = await setUpGame(app);
    player = await setUpPlayer(app, game);
    // One purchase of the durable skin: the player holds no consumable, so any consumption must fail.
    const bought = await buyTyped(app, game, player, game.items.skin!);
    purchaseId = expectTypename(bought.data.createPurchase, 'PurchasePayload').purchase.id;
    const { rows } = await app.database.pool!.query(
      `select tablename from pg_tables where schemaname = 'public' order by tablename`,
    );
    tables = rows.map((r: { tablename: string }) => r.tablename);
  }, 60_000);
  afterAll(() => app?.close());

  async function send(
    body: string | null,
    options: { method?: string; contentType?: string | null; token?: string; path?: string } = {},
  ): Promise<Sent> {
    const headers: Record<string, string> = {};
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await app.app.fetch(`http://coinslot.test${options.path ?? '/graphql'}`, {
      method: options.method ?? 'POST',
      headers,
      ...(body !== null && (options.method ?? 'POST') !== 'GET' ? { body } : {}),
    });
    const text = await response.text();
    let json: Sent['json'] = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: response.status, text, json };
  }

  /** Never a 5xx, never an unexpected (masked) error, and nothing logged as one. */
  function expectTyped(sent: Sent, what: string): void {
    const context = `${what} → ${sent.status} ${sent.text.slice(0, 300)}`;
    expect(sent.status, context).toBeLessThan(500);
    const codes = (sent.json?.errors ?? []).map((e) => e.extensions?.code ?? null);
    expect(
      codes.filter((c) => c === 'INTERNAL_SERVER_ERROR'),
      context,
    ).toEqual([]);
    expect(logged, context).toEqual([]);
  }

  async function counts(): Promise<Record<string, number>> {
    const { rows } = await app.database.pool!.query(
      `select ${tables.map((t) => `(select count(*)::int from "${t}") as "${t}"`).join(', ')}`,
    );
    return rows[0];
  }

  /** Sends a mutation that must fail; it answers with a typed error and writes no row anywhere. */
  async function mustFail(document: string, input: unknown, token: string | undefined, field: string): Promise<void> {
    const before = await counts();
    const sent = await send(JSON.stringify({ query: document, variables: { input } }), { token });
    const what = `${field}(${JSON.stringify(input, (_k, v) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v)).slice(0, 400)})`;
    expectTyped(sent, what);
    const value = (sent.json?.data as Record<string, { __typename: string }> | null | undefined)?.[field];
    // Either the request was refused as a whole (a GraphQL error such as a wrong type), or a typed error came back.
    if (value) expect(value.__typename, what).not.toMatch(/Payload$/);
    else expect(sent.json?.errors?.length ?? 0, what).toBeGreaterThan(0);
    expect(await counts(), what).toEqual(before);
  }

  it('answers any request body (random bytes, random JSON, malformed JSON, odd content types) without a 5xx', async () => {
    const malformed = fc.constantFrom(
      '',
      '{',
      '}',
      '[',
      '{"query":',
      '{"query": 1}',
      '{"query": null}',
      '{"query": "{"}',
      '{"query": "{ __typename }", "variables": "x"}',
      '{"query": "{ __typename }", "variables": [1]}',
      '{"query": "{ __typename }", "operationName": 5}',
      '[{"query": "{ __typename }"}]',
      '{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
      'null',
      '"query"',
      '1e999',
      '{"query": "query A { __typename } query B { __typename }"}',
      '{"query": "mutation { __typename }"}',
      '{"query": "subscription { __typename }"}',
      '{"__proto__": {"query": "{ __typename }"}}',
      `{"query": "{ __typename }", "variables": ${'['.repeat(5_000)}${']'.repeat(5_000)}}`,
    );
    const body = fc.oneof(
      malformed,
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.json({ maxDepth: 4 }),
      fc
        .record({ query: hostile, variables: hostile, operationName: hostile }, { requiredKeys: [] })
        .map((o) => JSON.stringify(o)),
    );
    const contentType = fc.constantFrom<string | null>(
      'application/json',
      'application/json',
      'application/graphql+json',
      'application/graphql',
      'text/plain',
      'multipart/form-data',
      'multipart/form-data; boundary=xyz',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      null,
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
        async (raw, type, method) => {
          const sent = await send(method === 'GET' ? null : raw, {
            contentType: type,
            method,
            path:
              method === 'GET' ? `/graphql?query=${encodeURIComponent(wellFormed(raw.slice(0, 2_000)))}` : '/graphql',
          });
          expectTyped(sent, `${method} ${type} ${raw.slice(0, 200)}`);
        },
      ),
      options(300),
    );
  }, 120_000);

  it('refuses deep, wide and repetitive queries with a typed error, never a 5xx', async () => {
    const shape = fc.oneof(
      // deep: nested introspection, past the depth limit
      fc
        .integer({ min: 1, max: 400 })
        .map((n) => `{ __type(name: "Query") { ${'fields { type { '.repeat(n)}name${' } }'.repeat(n)} } }`),
      // wide: aliases by the thousand, of a cheap and of a costly field
      fc
        .integer({ min: 1, max: 5_000 })
        .map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`),
      fc
        .integer({ min: 1, max: 1_500 })
        .map(
          (n) =>
            `query ($g: ID!) { ${Array.from({ length: n }, (_, i) => `c${i}: catalog(gameId: $g) { edges { node { id prices { amount formatted } } } }`).join(' ')} }`,
        ),
      // repetitive directives, fragments that spread each other, many operations
      fc.integer({ min: 1, max: 3_000 }).map((n) => `{ __typename ${'@include(if: true) '.repeat(n)}}`),
      fc.constant('fragment A on Query { ...B } fragment B on Query { ...A } { ...A }'),
      fc
        .integer({ min: 2, max: 500 })
        .map((n) => Array.from({ length: n }, (_, i) => `query Q${i} { __typename }`).join(' ')),
      fc.integer({ min: 1, max: 2_000 }).map((n) => `{ ${'__typename '.repeat(n)}${'# comment\n'.repeat(n)}}`),
      // a megabyte of query text
      fc.constant(`{ __typename ${' '.repeat(1024 * 1024)}}`),
      fc.constant(`{ __type(name: "${MEGABYTE}") { name } }`),
    );
    await fc.assert(
      fc.asyncProperty(shape, async (query) => {
        const sent = await send(JSON.stringify({ query, variables: { g: game.gameId } }), {
          token: game.publishableKey,
        });
        expectTyped(sent, query.slice(0, 200));
      }),
      options(80),
    );
  }, 120_000);

  it('answers hostile arguments of queries (ids, page sizes, filters) with typed errors', async () => {
    const queries = [
      (v: unknown) => ({ query: 'query ($id: ID!) { node(id: $id) { id } }', variables: { id: v } }),
      (v: unknown) => ({
        query: 'query ($g: ID!, $n: Int) { purchases(gameId: $g, first: $n) { edges { node { id } } } }',
        variables: { g: game.gameId, n: v },
      }),
      (v: unknown) => ({
        query: 'query ($g: ID!, $a: String) { purchases(gameId: $g, first: 5, after: $a) { edges { node { id } } } }',
        variables: { g: game.gameId, a: v },
      }),
      (v: unknown) => ({
        query: 'query ($g: ID!) { catalog(gameId: $g) { edges { node { id } } } }',
        variables: { g: v },
      }),
      (v: unknown) => ({ query: 'query ($g: ID!) { ledger(gameId: $g) { violations } }', variables: { g: v } }),
      (v: unknown) => ({
        query: 'query ($g: ID!, $p: ID) { inventory(gameId: $g, playerId: $p) { quantity } }',
        variables: { g: game.gameId, p: v },
      }),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(queries.length - 1),
        hostile,
        fc.constantFrom(game.devToken, game.secretKey, player.gameToken, undefined),
        async (i, value, token) => {
          const body = queries[i]!(value);
          const before = await counts();
          const sent = await send(JSON.stringify(body), { token });
          expectTyped(sent, `${body.query} with ${String(JSON.stringify(value)).slice(0, 100)}`);
          expect(await counts()).toEqual(before);
        },
      ),
      options(100),
    );
  }, 120_000);

  it('makes no purchase from createPurchase with any invalid field (ids, quantity, price, currency)', async () => {
    const item = game.items.life!;
    const valid = () => ({
      gameId: game.gameId,
      itemId: item.id,
      quantity: 1,
      expectedPrice: { amount: item.price.amount, currency: 'USD' },
      idempotencyKey: randomUUID(),
    });
    const broken = fc.oneof(
      hostile.filter((v) => v !== game.gameId).map((v) => ({ gameId: v })),
      hostile.filter((v) => v !== item.id).map((v) => ({ itemId: v })),
      // (null is the default quantity of 1, as documented; so are NaN and ±Infinity, which JSON sends as null)
      hostile
        .filter(
          (v) => JSON.stringify(v) !== 'null' && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100),
        )
        .map((v) => ({ quantity: v })),
      hostile
        // amounts are trimmed (minorUnits): ' 99' is the price, not a hostile value
        .filter((v) => !(typeof v === 'string' && /^0*99$/.test(v.trim())))
        .map((v) => ({ expectedPrice: { amount: v, currency: 'USD' } })),
      hostile.filter((v) => v !== 'USD').map((v) => ({ expectedPrice: { amount: '99', currency: v } })),
      hostile.map((v) => ({ expectedPrice: v })),
      hostile
        .filter((v) => typeof v !== 'string' || v.length > 255 || v.length === 0)
        .map((v) => ({ idempotencyKey: v })),
    );
    await fc.assert(
      fc.asyncProperty(broken, async (change) =>
        mustFail(CREATE_PURCHASE, { ...valid(), ...change }, player.gameToken, 'createPurchase'),
      ),
      options(150),
    );
  }, 120_000);

  it('moves nothing on consumeItem, refundPurchase, confirmPurchase with hostile input', async () => {
    const mutation = fc.oneof(
      // the player holds no consumable: every consumption fails, whatever the fields
      fc
        .record({
          playerId: fc.oneof(fc.constant(player.playerId), hostile),
          itemId: fc.oneof(fc.constant(game.items.life!.id), hostile),
          quantity: fc.oneof(fc.integer({ min: 1, max: 5 }), hostile),
          idempotencyKey: fc.oneof(fc.uuid(), hostile),
        })
        .map((input) => [CONSUME, input, game.secretKey, 'consumeItem'] as const),
      // refunds of the one purchase (99) with an amount that cannot be refunded, or of no purchase at all
      hostile
        .filter((v) => !(typeof v === 'string' && /^0*([1-9]|[1-9][0-9])$/.test(v.trim())))
        .map(
          (amount) =>
            [
              REFUND,
              { purchaseId, amount: { amount, currency: 'USD' }, reason: 'fuzz', idempotencyKey: randomUUID() },
              game.secretKey,
              'refundPurchase',
            ] as const,
        ),
      hostile
        .filter((v) => v !== purchaseId)
        .map(
          (id) =>
            [
              REFUND,
              { purchaseId: id, reason: 'fuzz', idempotencyKey: randomUUID() },
              game.secretKey,
              'refundPurchase',
            ] as const,
        ),
      hostile
        .filter((v) => !(typeof v === 'string' && v.length >= 1 && v.length <= 500))
        .map(
          (reason) =>
            [REFUND, { purchaseId, reason, idempotencyKey: randomUUID() }, game.secretKey, 'refundPurchase'] as const,
        ),
      // confirming: the purchase is already SUCCEEDED or not a purchase at all
      fc
        .record({
          purchaseId: fc.oneof(fc.constant(purchaseId), hostile),
          cvc: hostile,
          cardId: hostile,
          idempotencyKey: fc.oneof(fc.uuid(), hostile),
        })
        .map((input) => [CONFIRM_PURCHASE, input, player.playerToken, 'confirmPurchase'] as const),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async ([document, input, token, field]) => {
        // A confirmation of the SUCCEEDED purchase answers it as it stands (nothing written): allowed.
        if (field === 'confirmPurchase' && (input as { purchaseId: unknown }).purchaseId === purchaseId) {
          const before = await counts();
          expectTyped(
            await send(JSON.stringify({ query: document, variables: { input } }), { token }),
            'confirm of a settled purchase',
          );
          expect(await counts()).toEqual(before);
          return;
        }
        await mustFail(document, input, token, field);
      }),
      options(150),
    );
  }, 120_000);

  it('stores no card, player, item, authorization or risk setting from invalid input', async () => {
    const validCard = { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123', holderName: 'Pat' };
    const luhnValid = (v: unknown) => {
      if (typeof v !== 'string') return false;
      const digits = v.replace(/[ -]/g, '');
      if (!/^[0-9]{12,19}$/.test(digits)) return false;
      let sum = 0;
      for (let i = 0; i < digits.length; i++) {
        let d = Number(digits[digits.length - 1 - i]);
        if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
      }
      return sum % 10 === 0;
    };
    const year = new Date().getFullYear();
    const mutation = fc.oneof(
      hostile
        .filter((v) => !luhnValid(v))
        .map((number) => [ADD_CARD, { ...validCard, number }, player.playerToken, 'addCard'] as const),
      hostile
        .filter((v) => !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 12))
        .map((expMonth) => [ADD_CARD, { ...validCard, expMonth }, player.playerToken, 'addCard'] as const),
      hostile
        .filter((v) => !(Number.isInteger(v) && (v as number) >= year && (v as number) <= year + 20))
        .map((expYear) => [ADD_CARD, { ...validCard, expYear }, player.playerToken, 'addCard'] as const),
      hostile
        .filter((v) => !(typeof v === 'string' && /^[0-9]{3,4}$/.test(v)))
        .map((cvc) => [ADD_CARD, { ...validCard, cvc }, player.playerToken, 'addCard'] as const),
      hostile
        .filter((v) => typeof v !== 'string' || !v.includes('@'))
        .map(
          (email) =>
            [
              SIGN_UP,
              { email, password: 'a long enough password 1', displayName: 'Fuzz' },
              undefined,
              'signUpPlayer',
            ] as const,
        ),
      hostile
        .filter((v) => !(typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v)))
        .map(
          (sku) =>
            [
              CREATE_ITEM,
              { gameId: game.gameId, sku, name: 'n', kind: 'CONSUMABLE', prices: [{ amount: '10', currency: 'USD' }] },
              game.devToken,
              'createItem',
            ] as const,
        ),
      hostile
        .filter((v) => !(typeof v === 'string' && /^0*[1-9][0-9]{0,15}$/.test(v.trim())))
        .map(
          (amount) =>
            [
              CREATE_ITEM,
              {
                gameId: game.gameId,
                sku: `s${randomUUID().slice(0, 8)}`,
                name: 'n',
                kind: 'CONSUMABLE',
                prices: [{ amount, currency: 'USD' }],
              },
              game.devToken,
              'createItem',
            ] as const,
        ),
      hostile
        .filter((v) => !['CONSUMABLE', 'DURABLE', 'CURRENCY_PACK'].includes(v as string))
        .map(
          (kind) =>
            [
              CREATE_ITEM,
              {
                gameId: game.gameId,
                sku: `k${randomUUID().slice(0, 8)}`,
                name: 'n',
                kind,
                prices: [{ amount: '10', currency: 'USD' }],
              },
              game.devToken,
              'createItem',
            ] as const,
        ),
      hostile
        // amounts are trimmed at the boundary like every MoneyInput: '99 ' is an allowance of 99
        .filter((v) => !(typeof v === 'string' && /^[0-9]{1,16}$/.test(v.trim())))
        .map(
          (amount) =>
            [
              AUTHORIZE,
              {
                gameId: game.gameId,
                oneTapMax: { amount, currency: 'USD' },
                dailyCap: { amount: '5000', currency: 'USD' },
              },
              player.playerToken,
              'authorizeGame',
            ] as const,
        ),
      hostile
        // (null resets a threshold to the platform's default, as documented; NaN and ±Infinity are sent as null)
        .filter(
          (v) =>
            JSON.stringify([v]) !== '[null]' && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 30),
        )
        .map(
          (n) => [RISK, { gameId: game.gameId, purchasesPerMinute: n }, game.devToken, 'updateRiskSettings'] as const,
        ),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async ([document, input, token, field]) => mustFail(document, input, token, field)),
      options(150),
    );
  }, 120_000);
});
