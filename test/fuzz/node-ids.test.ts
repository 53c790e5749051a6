// Hostile ids for every Node type (issue 17, item 9): `node(id:)`, `nodes(ids:)` and the typed
// lookups get well-formed ids of every kind, ids of the wrong kind, bad prefixes, bad base32, raw
// garbage and legacy Relay/UUID forms wrapped around garbage; so does every ID argument of every query
// and mutation, found by walking schema.graphql. The answer is null, NotFound or a
// ValidationError: never a 5xx, never a masked "Unexpected error", never SQL in the logs.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
} from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ID_PREFIXES, publicId, type IdKind } from '../../src/shared/public-ids.js';
import { buyTyped, setUpGame, setUpPlayer, type GameSetup, type PlayerSetup } from '../helpers/flows.js';
import { graphql } from '../helpers/graphql.js';
import { createTestApp, type GqlResponse, type TestApp } from '../helpers/test-app.js';

const NODE = graphql(`query FuzzNode($id: ID!) { node(id: $id) { __typename id } }`);
const NODES = graphql(`query FuzzNodes($ids: [ID!]!) { nodes(ids: $ids) { __typename } }`);
const PURCHASE = graphql(`query FuzzPurchase($id: ID!) { purchase(id: $id) { id } }`);
const GAME = graphql(`query FuzzGame($id: ID!) { game(id: $id) { id } }`);
const RISK_SETTINGS = graphql(`query FuzzRiskSettings($id: ID!) { riskSettings(gameId: $id) { updatedAt } }`);
const WALLET = graphql(`query FuzzWallet($id: ID!) { wallet(gameId: $id) { amount } }`);
const WEBHOOK_EVENTS = graphql(
  `query FuzzWebhookEvents($id: ID!) { webhookEvents(gameId: $id) { edges { node { id } } } }`,
);
const LEDGER_ENTRIES = graphql(`
  query FuzzLedgerEntries($id: ID!, $g: ID!) { ledger(gameId: $g) { entries(purchaseId: $id) { edges { node { id } } } } }
`);
const PURCHASES = graphql(`query FuzzPurchases($id: ID!) { purchases(gameId: $id) { edges { node { id } } } }`);
const INVENTORY = graphql(
  `query FuzzInventory($id: ID!, $g: ID!) { inventory(gameId: $g, playerId: $id) { quantity } }`,
);

const KINDS = Object.keys(ID_PREFIXES) as IdKind[];
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Ids that look like one of ours but are not, in every spelling a client or an attacker might send. */
const hostileId: fc.Arbitrary<string> = fc.oneof(
  // a well-formed id of any kind whose row does not exist
  fc.constantFrom(...KINDS).map((kind) => publicId(kind, randomUUID())),
  // the right length and prefix, characters outside Crockford's alphabet or past 128 bits
  fc
    .tuple(fc.constantFrom(...Object.values(ID_PREFIXES)), fc.string({ minLength: 26, maxLength: 26 }))
    .map(([prefix, body]) => `${prefix}_${body}`),
  fc.constantFrom(...Object.values(ID_PREFIXES)).map((prefix) => `${prefix}_8${'z'.repeat(25)}`),
  fc.constantFrom(...Object.values(ID_PREFIXES)).map((prefix) => `${prefix.toUpperCase()}_${'0'.repeat(26)}`),
  fc
    .tuple(
      fc.constantFrom(...Object.values(ID_PREFIXES)),
      fc.array(fc.constantFrom(...BASE32), { minLength: 0, maxLength: 40 }),
    )
    .map(([prefix, chars]) => `${prefix}_${chars.join('')}`),
  // an unknown prefix with a valid body
  fc.string({ minLength: 1, maxLength: 8 }).map((prefix) => `${prefix}_${'0'.repeat(26)}`),
  // legacy Relay ids around garbage, and bare UUIDs (valid, upper case, broken)
  fc
    .tuple(fc.constantFrom(...KINDS, 'Nope', 'player', ''), fc.string({ maxLength: 60 }))
    .map(([kind, rest]) => b64(`${kind}:${rest}`)),
  fc.constantFrom(...KINDS).map((kind) => b64(`${kind}:${randomUUID()}`)),
  fc.constantFrom(...KINDS).map((kind) => b64(`${kind}:${randomUUID()}' or 1=1 --`)),
  fc.constant(randomUUID()),
  fc.constant(randomUUID().toUpperCase()),
  fc.uuid().map((uuid) => `${uuid.slice(0, 35)}g`),
  fc.uuid().map((uuid) => `${uuid}'; drop table players; --`),
  // raw garbage
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '_',
    'ply_',
    'evt_',
    `evt_${'g'.repeat(32)}`,
    '%00',
    '../../etc/passwd',
    'x'.repeat(10_000),
  ),
);

/** Whether an argument's type carries an ID anywhere (an ID, a list of them, an input object holding one). */
function holdsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (named.name === 'ID') return true;
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((field) => holdsId(field.type, seen));
}

/** A value of `type` whose every ID is `id`; the other fields get a plausible value (an ISO currency, a small amount). */
function withId(type: GraphQLInputType, id: string): unknown {
  if (isNonNullType(type)) return withId(type.ofType, id);
  if (isListType(type)) return [withId(type.ofType, id)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    return Object.fromEntries(
      Object.values(fields).map((field) => [
        field.name,
        field.name === 'currency'
          ? 'USD'
          : field.name === 'idempotencyKey'
            ? randomUUID()
            : field.name === 'amount' && 'currency' in fields
              ? '100'
              : withId(field.type, id),
      ]),
    );
  }
  if (!isScalarType(type)) throw new Error(`no value for ${String(type)}`);
  if (type.name === 'ID') return id;
  if (type.name === 'Int' || type.name === 'Float') return 1;
  if (type.name === 'Boolean') return false;
  if (type.name === 'DateTime') return new Date().toISOString();
  return type.name === 'String' ? 'x' : '1';
}

describe('hostile ids of every Node type', () => {
  let app: TestApp;
  let game: GameSetup;
  let player: PlayerSetup;
  const logged: string[] = [];

  beforeAll(async () => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    app = await createTestApp({
      logger,
      env: {
        BACKGROUND_JOBS: 'false',
        WEBHOOK_DISPATCHER: 'off',
        API_RATE_LIMIT_PER_CREDENTIAL: '1000000',
        API_RATE_LIMIT_PER_IP: '1000000',
      },
    });
    game = await setUpGame(app);
    player = await setUpPlayer(app, game);
    await buyTyped(app, game, player, game.items.skin!);
    logged.length = 0;
  }, 60_000);
  afterAll(() => app?.close());

  /** Null, NOT_FOUND or VALIDATION_FAILED: nothing else, nothing logged. */
  function expectRefused(res: GqlResponse<unknown>, what: string): void {
    const context = `${what} → ${res.status} ${res.text.slice(0, 400)}`;
    expect(res.status, context).toBeLessThan(500);
    for (const error of res.errors ?? []) {
      expect(['NOT_FOUND', 'VALIDATION_FAILED', 'BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN'], context).toContain(
        error.extensions?.code,
      );
    }
    expect(logged.join('\n'), context).not.toMatch(/select|unexpected|"level":50/i);
  }

  it('node(id:) with any credential answers null or a typed error, never a 500', async () => {
    const tokens = [null, player.playerToken, player.gameToken, game.secretKey, game.publishableKey, game.devToken];
    await fc.assert(
      fc.asyncProperty(hostileId, fc.constantFrom(...tokens), async (id, token) => {
        const res = await app.gql(NODE, { id }, { token });
        expectRefused(res, `node(${JSON.stringify(id.slice(0, 80))})`);
        // nothing that does not exist is ever found
        expect(res.data?.node ?? null, JSON.stringify(id)).toBeNull();
      }),
      { numRuns: 400 },
    );
  });

  it('nodes(ids:) and every typed lookup refuse hostile ids the same way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileId, { minLength: 1, maxLength: 5 }), async (ids) => {
        const res = await app.gql(NODES, { ids }, { token: game.secretKey });
        expectRefused(res, `nodes(${JSON.stringify(ids).slice(0, 200)})`);
      }),
      { numRuns: 100 },
    );
    const g = game.gameId;
    const lookups: [string, (id: string) => Promise<GqlResponse<unknown>>][] = [
      ['purchase(id:)', (id) => app.gql(PURCHASE, { id }, { token: game.secretKey })],
      ['game(id:)', (id) => app.gql(GAME, { id }, { token: game.devToken })],
      ['riskSettings(gameId:)', (id) => app.gql(RISK_SETTINGS, { id }, { token: game.devToken })],
      ['wallet(gameId:)', (id) => app.gql(WALLET, { id }, { token: player.gameToken })],
      ['webhookEvents(gameId:)', (id) => app.gql(WEBHOOK_EVENTS, { id }, { token: game.secretKey })],
      ['ledger.entries(purchaseId:)', (id) => app.gql(LEDGER_ENTRIES, { id, g }, { token: game.devToken })],
      ['purchases(gameId:)', (id) => app.gql(PURCHASES, { id }, { token: game.secretKey })],
      ['inventory(playerId:)', (id) => app.gql(INVENTORY, { id, g }, { token: game.secretKey })],
    ];
    await fc.assert(
      fc.asyncProperty(hostileId, fc.constantFrom(...lookups), async (id, [lookup, send]) => {
        const res = await send(id);
        expectRefused(res, `${lookup} ${JSON.stringify(id.slice(0, 80))}`);
      }),
      { numRuns: 200 },
    );
  });
  it('every ID argument of every query and mutation in the schema refuses hostile ids the same way', async () => {
    const schema = buildSchema(readFileSync('schema.graphql', 'utf8'));
    const tokens = [null, player.gameToken, game.secretKey, game.devToken, app.config.secrets.operatorToken];
    const ids = fc.sample(hostileId, { numRuns: 8, seed: 17 });
    let fields = 0;
    for (const [operation, root] of [
      ['query', schema.getQueryType()!],
      ['mutation', schema.getMutationType()!],
    ] as const) {
      for (const field of Object.values(root.getFields())) {
        if (!field.args.some((arg) => holdsId(arg.type))) continue;
        fields += 1;
        const named = getNamedType(field.type);
        const selection = isScalarType(named) || isEnumType(named) ? '' : '{ __typename }';
        const document = `${operation} (${field.args.map((a) => `$${a.name}: ${a.type}`).join(', ')}) { ${field.name}(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')}) ${selection} }`;
        for (const id of ids)
          for (const token of tokens) {
            const variables = Object.fromEntries(
              field.args
                .filter((arg) => isNonNullType(arg.type) || holdsId(arg.type))
                .map((arg) => [arg.name, withId(arg.type, id)]),
            );
            const res = await app.gql(document, variables, {
              token,
              headers: operation === 'mutation' ? { 'idempotency-key': randomUUID() } : {},
            });
            // a document this test built wrong would be a 400 without a code: it must not pass for a refusal
            expect(res.status === 400 && !res.errors?.some((e) => e.extensions?.code), res.text).toBe(false);
            expectRefused(res, `${field.name} ${JSON.stringify(id.slice(0, 80))} as ${String(token).slice(0, 3)}`);
          }
      }
    }
    expect(fields).toBeGreaterThan(30); // 39 when written: the walk found the schema
  }, 300_000);
});
