// Random sequences of purchases, consumption (and refunds, once the schema has them) through the API, checked
// step by step against a model of each player's inventory and wallet, and after each sequence against every
// invariant of the money path (checkLedger included).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTypename, graphql } from '../helpers/graphql.js';
import {
  createPurchaseDocument,
  decodeId,
  setUpGame,
  setUpPlayer,
  type GameSetup,
  type PlayerSetup,
} from '../helpers/flows.js';
import { checkMoneyInvariants } from '../helpers/money-invariants.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const PLAYERS = 4;
const CONSUME = graphql(`
  mutation Consume($input: ConsumeItemInput!) {
    consumeItem(input: $input) { __typename ... on ConsumeItemPayload { entry { quantity } } ... on InsufficientQuantity { available } ... on Error { code message } }
  }
`);
const RISK = graphql(`
  mutation Risk($input: UpdateRiskSettingsInput!) { updateRiskSettings(input: $input) { __typename } }
`);

type Sku = 'life' | 'gems' | 'skin' | 'shield';
type Op =
  | { kind: 'buy'; player: number; sku: Sku; quantity: number }
  | { kind: 'consume'; player: number; quantity: number }
  | { kind: 'refund'; pick: number; part: number }
  | { kind: 'replay' };

/** What each player should hold, from the answers so far. */
interface Model {
  life: number;
  skin: boolean;
  gems: number;
}

/** The refund mutation, as schema.graphql names it: a schema without it fails this file, never skips it. */
const REFUND = graphql(`
  mutation Refund($input: RefundPurchaseInput!) {
    refundPurchase(input: $input) {
      __typename
      ... on RefundPurchasePayload { purchase { id status } }
      ... on Error { code message }
    }
  }
`);

const refundInput = (purchaseId: string, amount: { amount: string; currency: string }) => ({
  purchaseId,
  idempotencyKey: randomUUID(),
  amount,
  reason: 'requested_by_customer',
});

describe('ledger invariants under random sequences of API calls', () => {
  let app: TestApp;
  let game: GameSetup;
  let players: PlayerSetup[];
  const models: Model[] = Array.from({ length: PLAYERS }, () => ({ life: 0, skin: false, gems: 0 }));
  /** Card purchases that succeeded, with what is left to refund. */
  const refundable: { id: string; amount: number; currency: string; refunded: number }[] = [];
  const refunds = { done: 0, refused: 0 };

  beforeAll(async () => {
    app = await createTestApp({ env: { API_RATE_LIMIT_PER_CREDENTIAL: '100000', API_RATE_LIMIT_PER_IP: '100000' } });
    game = await setUpGame(app, [
      { sku: 'life', kind: 'CONSUMABLE', price: '99' },
      { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
      { sku: 'skin', kind: 'DURABLE', price: '299' },
      { sku: 'shield', kind: 'CONSUMABLE', price: '120', currency: 'GEM' },
    ]);
    // The loosest velocity limits a game may set, so that the sequences test the ledger, not the fraud rules.
    const risk = await app.gql(
      RISK,
      { input: { gameId: game.gameId, purchasesPerMinute: 30, purchasesPerHour: 200 } },
      { token: game.devToken },
    );
    expect(risk.data.updateRiskSettings.__typename).toBe('UpdateRiskSettingsPayload');
    players = await Promise.all(
      Array.from({ length: PLAYERS }, () => setUpPlayer(app, game, { oneTapMax: '1000', dailyCap: '200000' })),
    );
  }, 60_000);
  afterAll(() => app?.close());

  const opArb = (withRefunds: boolean): fc.Arbitrary<Op> =>
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('buy' as const),
          player: fc.nat(PLAYERS - 1),
          sku: fc.constantFrom<Sku>('life', 'gems', 'skin', 'shield'),
          quantity: fc.integer({ min: 1, max: 3 }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('consume' as const),
          player: fc.nat(PLAYERS - 1),
          quantity: fc.integer({ min: 1, max: 4 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'replay' as const }) },
      {
        weight: withRefunds ? 2 : 0,
        arbitrary: fc.record({
          kind: fc.constant('refund' as const),
          pick: fc.nat(),
          part: fc.integer({ min: 1, max: 4 }),
        }),
      },
    );

  /** Runs one sequence, checking each answer against the model as it goes. */
  async function runSequence(ops: Op[]): Promise<void> {
    let previous: { document: string; variables: Record<string, unknown>; token: string; text: string } | null = null;
    for (const op of ops) {
      if (op.kind === 'replay') {
        // The same request again (same idempotency key): the same answer, byte for byte, and no second effect.
        if (!previous) continue;
        const again = await app.gql(previous.document, previous.variables, { token: previous.token });
        expect(again.text).toBe(previous.text);
        continue;
      }
      if (op.kind === 'buy') {
        const player = players[op.player]!;
        const model = models[op.player]!;
        const item = game.items[op.sku]!;
        const quantity = op.sku === 'skin' || op.sku === 'gems' ? 1 : op.quantity;
        const variables = {
          input: {
            gameId: game.gameId,
            itemId: item.id,
            quantity,
            expectedPrice: item.price,
            idempotencyKey: randomUUID(),
          },
        };
        const res = await app.gql(createPurchaseDocument, variables, { token: player.gameToken });
        expect(res.errors, res.text).toBeUndefined();
        const value = res.data.createPurchase;
        previous = { document: print(createPurchaseDocument), variables, token: player.gameToken, text: res.text };
        if (op.sku === 'shield') {
          const cost = 120 * quantity;
          if (model.gems >= cost) {
            const { purchase } = expectTypename(value, 'PurchasePayload');
            expect(purchase.status, res.text).toBe('SUCCEEDED');
            model.gems -= cost;
            refundable.push({ id: purchase.id, amount: cost, currency: 'GEM', refunded: 0 });
          } else {
            expect(expectTypename(value, 'InsufficientFunds').balance?.amount ?? '0').toBe(String(model.gems));
          }
          continue;
        }
        if (op.sku === 'skin' && model.skin) {
          expectTypename(value, 'LimitReached');
          continue;
        }
        const { purchase } = expectTypename(value, 'PurchasePayload');
        expect(purchase.status, res.text).toBe('SUCCEEDED');
        if (op.sku === 'life') model.life += quantity;
        if (op.sku === 'skin') model.skin = true;
        if (op.sku === 'gems') model.gems += 500;
        refundable.push({
          id: purchase.id,
          amount: Number(purchase.price.amount),
          currency: 'USD',
          refunded: 0,
        });
        continue;
      }
      if (op.kind === 'consume') {
        const player = players[op.player]!;
        const model = models[op.player]!;
        const variables = {
          input: {
            playerId: player.playerId,
            itemId: game.items.life!.id,
            quantity: op.quantity,
            idempotencyKey: randomUUID(),
          },
        };
        const res = await app.gql(CONSUME, variables, { token: game.secretKey });
        expect(res.errors, res.text).toBeUndefined();
        previous = { document: print(CONSUME), variables, token: game.secretKey, text: res.text };
        if (model.life >= op.quantity) {
          expect(res.data.consumeItem, res.text).toEqual({
            __typename: 'ConsumeItemPayload',
            entry: { quantity: model.life - op.quantity },
          });
          model.life -= op.quantity;
        } else {
          expect(res.data.consumeItem, res.text).toMatchObject({
            __typename: 'InsufficientQuantity',
            available: model.life,
          });
        }
        continue;
      }
      // refund: a part of what is left (part 4 asks for more than is left: must be refused, nothing written)
      if (refundable.length === 0) continue;
      // pick 0 is the newest purchase
      const target = refundable[refundable.length - 1 - (op.pick % refundable.length)]!;
      const left = target.amount - target.refunded;
      const asked = op.part === 4 ? left + 1 : op.part === 3 ? left : Math.max(1, Math.floor((left * op.part) / 3));
      const variables = { input: refundInput(target.id, { amount: String(asked), currency: target.currency }) };
      const before = await refundedOrPendingMinor(target.id);
      const res = await app.gql(REFUND, variables, { token: game.secretKey });
      expect(res.status, res.text).toBeLessThan(500);
      const value = res.data?.refundPurchase;
      // typed: `purchase` exists only on the payload member of the union
      const refunded = value?.__typename === 'RefundPurchasePayload' ? value.purchase : null;
      previous = { document: print(REFUND), variables, token: game.secretKey, text: res.text };
      const after = await refundedOrPendingMinor(target.id);
      if (left > 0 && asked > left) expect(value?.__typename, res.text).toBe('RefundExceedsRemaining');
      if (refunded && asked <= left && left > 0) {
        expect(after - before, res.text).toBe(asked);
        target.refunded += asked;
        refunds.done += 1;
        // The refund policy takes back part of the entitlement (a rule this test does not model): re-read it.
        await resyncModels();
      } else {
        refunds.refused += 1;
        // refused (more than is left, nothing left, or a typed error): nothing moved
        expect(refunded && asked > left ? 'refunded more than was left' : 'ok', res.text).toBe('ok');
        expect(after).toBe(before);
      }
    }
  }

  /** The models take what the database holds now (after refunds, whose clawback this test does not model). */
  async function resyncModels(): Promise<void> {
    const gameId = decodeId(game.gameId);
    for (const [i, player] of players.entries()) {
      const model = models[i]!;
      const { rows: inventory } = await app.database.pool!.query(
        'select item_id, quantity from inventory_entries where game_id = $1 and player_id = $2',
        [gameId, decodeId(player.playerId)],
      );
      const held = (itemId: string) =>
        Number(inventory.find((r: { item_id: string }) => r.item_id === decodeId(itemId))?.quantity ?? 0);
      model.life = held(game.items.life!.id);
      model.skin = held(game.items.skin!.id) > 0;
      const { rows: wallet } = await app.database.pool!.query(
        `select balance_minor from ledger_accounts where game_id = $1 and player_id = $2 and kind = 'player_wallet' and currency = 'GEM'`,
        [gameId, decodeId(player.playerId)],
      );
      model.gems = Number(wallet[0]?.balance_minor ?? 0);
    }
  }

  async function refundedOrPendingMinor(globalId: string): Promise<number> {
    const { rows } = await app.database.pool!.query('select refunded_minor from purchases where id = $1', [
      decodeId(globalId),
    ]);
    return Number(rows[0].refunded_minor);
  }

  /** After a sequence: the database agrees with the model, and every money invariant holds. */
  async function expectConsistent(checkModel: boolean): Promise<void> {
    const gameId = decodeId(game.gameId);
    const report = await checkMoneyInvariants(app.database.pool!, app.database.db, { gameId });
    expect(report.violations).toEqual([]);
    if (!checkModel) return;
    for (const [i, player] of players.entries()) {
      const model = models[i]!;
      const { rows: inventory } = await app.database.pool!.query(
        'select item_id, quantity from inventory_entries where game_id = $1 and player_id = $2',
        [gameId, decodeId(player.playerId)],
      );
      const held = (itemId: string) =>
        Number(inventory.find((r: { item_id: string }) => r.item_id === decodeId(itemId))?.quantity ?? 0);
      expect(held(game.items.life!.id)).toBe(model.life);
      expect(held(game.items.skin!.id)).toBe(model.skin ? 1 : 0);
      const { rows: wallet } = await app.database.pool!.query(
        `select balance_minor from ledger_accounts where game_id = $1 and player_id = $2 and kind = 'player_wallet' and currency = 'GEM'`,
        [gameId, decodeId(player.playerId)],
      );
      expect(Number(wallet[0]?.balance_minor ?? 0)).toBe(model.gems);
    }
  }

  it('keeps inventory, wallets and the ledger in step through random purchases, gem spending and consumption', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb(false), { minLength: 1, maxLength: 10 }), async (ops) => {
        await runSequence(ops);
        await expectConsistent(true);
      }),
      // The state carries over between runs (one game), so a counterexample is reported as it came, unshrunk.
      { numRuns: 12, endOnFailure: true },
    );
  }, 120_000);

  it('keeps the ledger balanced when refunds (partial, full and too large) are interleaved', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb(true), { minLength: 1, maxLength: 10 }), async (ops) => {
        await runSequence(ops);
        // Refunds may take items and gems back by rules this test does not model: check the invariants only.
        await expectConsistent(false);
      }),
      {
        numRuns: 12,
        endOnFailure: true,
        // First a sequence that surely refunds and surely asks for too much, whatever the random ones draw.
        examples: [
          [
            [
              { kind: 'buy', player: 0, sku: 'life', quantity: 1 },
              { kind: 'refund', pick: 0, part: 4 },
              { kind: 'refund', pick: 0, part: 1 },
            ],
          ],
        ],
      },
    );
    // The sequences really refunded, and really asked for too much.
    expect(refunds.done).toBeGreaterThan(0);
    expect(refunds.refused).toBeGreaterThan(0);
  }, 120_000);
});
