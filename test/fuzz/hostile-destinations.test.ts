// Issue 17's reproductions as properties (items 1 and 2): an internal address in any spelling is
// refused as a webhook destination, by the URL check and again at connect time; and a grant times a
// quantity that a safe integer cannot hold is refused at createItem and before any purchase is charged.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp } from '../../src/adapters/http/outbound-http.js';
import { MAX_GRANT_MINOR } from '../../src/modules/catalog/index.js';
import { createGameWithWebhook } from '../integration/webhooks/fixtures.js';
import { buyTyped, decodeId, setUpGame, setUpPlayer, type GameSetup } from '../helpers/flows.js';
import { expectTypename, graphql } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

type Quad = readonly [number, number, number, number];

const octet = fc.integer({ min: 0, max: 255 });
/** An address inside one of the ranges a developer must never reach (first octets fixed, the rest random). */
const internalQuad: fc.Arbitrary<Quad> = fc.oneof(
  fc.tuple(fc.constant(127), octet, octet, octet), // loopback
  fc.tuple(fc.constant(10), octet, octet, octet), // RFC 1918
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
  fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
  fc.tuple(fc.constant(169), fc.constant(254), octet, octet), // link-local, cloud metadata
  fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), octet, octet), // carrier-grade NAT
  fc.tuple(fc.constant(0), octet, octet, octet), // "this network"
  fc.tuple(fc.integer({ min: 224, max: 255 }), octet, octet, octet), // multicast, reserved, broadcast
);
/** Public addresses, for the other side of the property (a check that refused everything would pass above). */
const publicQuad: fc.Arbitrary<Quad> = fc.constantFrom<Quad>(
  [8, 8, 8, 8],
  [93, 184, 215, 14],
  [1, 1, 1, 1],
  [151, 101, 1, 69],
);

const asNumber = ([a, b, c, d]: Quad) => ((a * 256 + b) * 256 + c) * 256 + d;
const hex16 = (high: number, low: number) => (high * 256 + low).toString(16);

/** The ways a URL may spell an IPv4 address: the forms browsers and `new URL` accept, and IPv6 wrappers. */
function spellings(quad: Quad): string[] {
  const [a, b, c, d] = quad;
  const n = asNumber(quad);
  return [
    `${a}.${b}.${c}.${d}`,
    `${a}.${b}.${c}.${d}.`,
    String(n),
    `0x${n.toString(16)}`,
    quad.map((part) => `0${part.toString(8)}`).join('.'),
    quad.map((part) => `0x${part.toString(16)}`).join('.'),
    `${a}.${b}.${c * 256 + d}`,
    `${a}.${(b * 256 + c) * 256 + d}`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${hex16(a, b)}:${hex16(c, d)}]`,
    `[0:0:0:0:0:ffff:${a}.${b}.${c}.${d}]`,
    `[64:ff9b::${a}.${b}.${c}.${d}]`,
    `[2002:${hex16(a, b)}:${hex16(c, d)}::1]`,
  ];
}
const spelled = (quads: fc.Arbitrary<Quad>) =>
  quads.chain((quad) => fc.constantFrom(...spellings(quad)).map((host) => ({ quad, host })));

describe('internal destinations in any spelling (item 1)', () => {
  const closed = createOutboundHttp({ allowPrivateNetwork: false });
  afterAll(() => closed.close());

  it('refuses every spelling of an internal address in a URL, and allows the same spellings of a public one', () => {
    fc.assert(
      fc.property(
        spelled(internalQuad),
        fc.constantFrom('http', 'https'),
        fc.option(fc.integer({ min: 1, max: 65535 })),
        ({ host }, scheme, port) => {
          const url = `${scheme}://${host}${port === null ? '' : `:${port}`}/hook`;
          expect(closed.refusal(url), url).not.toBeNull();
        },
      ),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(spelled(publicQuad), ({ host }) => {
        const url = `https://${host}/hook`;
        expect(closed.refusal(url), url).toBeNull();
      }),
    );
  });

  it('refuses at connect time a name whose DNS answer holds an internal address, whatever else it holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        internalQuad,
        fc.constantFrom('v4', 'mapped', 'nat64'),
        fc.boolean(),
        async (quad, form, withPublic) => {
          const [a, b, c, d] = quad;
          const address =
            form === 'v4'
              ? `${a}.${b}.${c}.${d}`
              : form === 'mapped'
                ? `::ffff:${hex16(a, b)}:${hex16(c, d)}`
                : `64:ff9b::${hex16(a, b)}:${hex16(c, d)}`;
          const answers = withPublic ? ['93.184.215.14', address] : [address];
          const client = createOutboundHttp({
            allowPrivateNetwork: false,
            lookup: async () => answers.map((x) => ({ address: x })),
            connectTimeoutMs: 500,
          });
          try {
            const result = await client.send({
              method: 'POST',
              url: `https://hooks-${randomUUID().slice(0, 8)}.fuzz.test/hook`,
              headers: {},
              body: '{}',
              timeoutMs: 1_000,
              maxResponseBytes: 100,
            });
            expect(result, answers.join(',')).toEqual({ kind: 'refused' });
          } finally {
            await client.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  describe('through the API', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await createTestApp({
        env: {
          WEBHOOK_ALLOW_PRIVATE_NETWORK: 'false',
          WEBHOOK_DISPATCHER: 'off',
          API_RATE_LIMIT_PER_CREDENTIAL: '1000000',
        },
      });
    }, 60_000);
    afterAll(() => app?.close());

    it('createGame and updateGame answer a ValidationError on input.webhookUrl and store nothing', async () => {
      const game = await createGameWithWebhook(app, null);
      await fc.assert(
        fc.asyncProperty(spelled(internalQuad), async ({ host }) => {
          const webhookUrl = `https://${host}/hook`;
          const name = `fuzz-${randomUUID().slice(0, 8)}`;
          const created = await app.gql(
            `mutation ($input: CreateGameInput!) { createGame(input: $input) { __typename ... on ValidationError { fieldErrors { path } } } }`,
            { input: { name, defaultCurrency: 'USD', webhookUrl } },
            { token: game.developerToken },
          );
          expect(created.data?.createGame, webhookUrl).toEqual({
            __typename: 'ValidationError',
            fieldErrors: [{ path: 'input.webhookUrl' }],
          });
          expect((await app.database.pool!.query('select 1 from games where name = $1', [name])).rowCount).toBe(0);
          const updated = await app.gql(
            `mutation ($input: UpdateGameInput!) { updateGame(input: $input) { __typename ... on ValidationError { fieldErrors { path } } } }`,
            { input: { gameId: game.globalId, webhookUrl } },
            { token: game.developerToken },
          );
          expect(updated.data?.updateGame, webhookUrl).toEqual({
            __typename: 'ValidationError',
            fieldErrors: [{ path: 'input.webhookUrl' }],
          });
        }),
        { numRuns: 60 },
      );
      const stored = await app.database.pool!.query('select webhook_url from games where id = $1', [game.gameId]);
      expect(stored.rows[0].webhook_url).toBeNull();
    });
  });
});

const CREATE_ITEM = graphql(`
  mutation FuzzGrantCreateItem($input: CreateItemInput!) {
    createItem(input: $input) {
      __typename
      ... on CreateItemPayload { item { id grants { amount } } }
      ... on ValidationError { fieldErrors { path } }
    }
  }
`);

describe('grants times quantities (item 2)', () => {
  const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp({
      env: { BACKGROUND_JOBS: 'false', WEBHOOK_DISPATCHER: 'off', API_RATE_LIMIT_PER_CREDENTIAL: '1000000' },
    });
    game = await setUpGame(app, [
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
    ]);
  }, 60_000);
  afterAll(() => app?.close());

  const pack = (grants: string) => ({
    gameId: game.gameId,
    sku: `fuzz-${randomUUID().slice(0, 8)}`,
    name: 'Fuzz pack',
    kind: 'CURRENCY_PACK' as const,
    prices: [{ amount: '1', currency: 'USD' }],
    grants: { amount: grants, currency: 'GEM' },
  });

  it('createItem takes a grant exactly when 100 packs of it stay a safe integer', async () => {
    const around = fc.oneof(
      fc.bigInt({ min: 1n, max: MAX_SAFE * 2n }),
      fc.bigInt({ min: -3n, max: 3n }).map((delta) => BigInt(MAX_GRANT_MINOR) + delta),
    );
    await fc.assert(
      fc.asyncProperty(
        around.filter((g) => g > 0n),
        async (grant) => {
          const res = await app.gql(CREATE_ITEM, { input: pack(String(grant)) }, { token: game.devToken });
          if (grant * 100n <= MAX_SAFE)
            expect(expectTypename(res.data.createItem, 'CreateItemPayload').item.grants?.amount).toBe(String(grant));
          else
            expect(expectTypename(res.data.createItem, 'ValidationError').fieldErrors, String(grant)).toEqual([
              { path: 'input.grants.amount' },
            ]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('createPurchase refuses before charging exactly when grant × quantity is not a safe integer', async () => {
    const legal = await app.gql(CREATE_ITEM, { input: pack('1') }, { token: game.devToken });
    const itemId = expectTypename(legal.data.createItem, 'CreateItemPayload').item.id;
    const item = { id: itemId, sku: 'fuzz', price: { amount: '1', currency: 'USD' } };
    const purchasesOf = async (playerId: string) =>
      (await app.database.pool!.query('select count(*)::int as n from purchases where player_id = $1', [playerId]))
        .rows[0].n as number;
    // The grant is written around createItem (an older row), at the edge for the chosen quantity.
    const edge = fc
      .tuple(fc.integer({ min: 2, max: 100 }), fc.integer({ min: -1, max: 2 }))
      .map(([quantity, delta]) => ({ quantity, grant: MAX_SAFE / BigInt(quantity) + BigInt(delta) }));
    await fc.assert(
      fc.asyncProperty(edge, async ({ quantity, grant }) => {
        await app.database.pool!.query('update items set grants_amount_minor = $1 where id = $2', [
          String(grant),
          decodeId(itemId),
        ]);
        // a new player each time, with an empty wallet: only grant × quantity decides
        const player = await setUpPlayer(app, game, { oneTapMax: '100000', dailyCap: '1000000' });
        const res = await buyTyped(app, game, player, item, { quantity });
        const label = `${grant} × ${quantity}`;
        if (grant * BigInt(quantity) > MAX_SAFE) {
          expect(
            expectTypename(res.data.createPurchase, 'ValidationError').fieldErrors.map((e) => e.path),
            label,
          ).toEqual(['input.quantity']);
          expect(await purchasesOf(decodeId(player.playerId)), label).toBe(0);
        } else {
          expect(expectTypename(res.data.createPurchase, 'PurchasePayload').purchase.status, label).toBe('SUCCEEDED');
        }
      }),
      { numRuns: 15 },
    );
    // a new player and a purchase per run: slower than the default 30 s on a busy machine
  }, 120_000);
});
