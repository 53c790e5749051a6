// The report behind issue 19, replayed over GraphQL: many players behind one address (carrier-grade
// NAT) add cards and buy, a card tester joins them on that address, and the players who already paid
// keep buying while the tester is refused. Unlike the rule and store suites, every decision here
// goes the whole way: client address from X-Forwarded-For, device ids from the inputs, "has this
// card (or player) paid" from the database's purchases, the velocity counters in Redis.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import {
  CARDS,
  confirmPurchaseDocument,
  createPurchaseDocument,
  decodeId,
  randomApprovedCard,
  setUpGame,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { createTestApp, uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { dropRedisKeys, MINUTE } from './fixtures.js';

const SIGN_UP = graphql(`
  mutation SignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } }
  }
`);
const ADD_CARD = graphql(`
  mutation AddCard($input: AddCardInput!) {
    addCard(input: $input) {
      __typename
      ... on AddCardPayload { card { id } }
      ... on Error { code message }
      ... on RetryableError { retryAfterSeconds }
      ... on RiskBlocked { rulesFired }
    }
  }
`);
const AUTHORIZE = graphql(`
  mutation AuthorizeGame($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) { __typename ... on AuthorizeGamePayload { gameToken } }
  }
`);

interface Player {
  readonly token: string;
  gameToken: string | null;
  readonly deviceId: string;
}

describe('one address, many players and a card tester among them (over GraphQL)', () => {
  const clock = new ManualClock();
  let app: TestApp;
  let game: GameSetup;
  // a carrier-grade NAT address of this run (100.64.0.0/10), the client address every request below comes from
  const nat = `100.64.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  const fromNat = { 'x-forwarded-for': nat };

  beforeAll(async () => {
    // behind a trusted proxy: the client address is the last X-Forwarded-For entry
    app = await createTestApp({ clock, env: { API_RATE_LIMIT_TRUST_PROXY: 'true' } });
    game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
  });
  afterAll(async () => {
    await dropRedisKeys(app);
    await app?.close();
  });

  async function signUp(): Promise<Player> {
    const res = await app.gql(
      SIGN_UP,
      { input: { email: uniqueEmail('nat'), password: 'player-password', displayName: 'Nat Player' } },
      { headers: fromNat },
    );
    const payload = expectTypename(res.data.signUpPlayer, 'PlayerAuthPayload');
    return { token: payload.token, gameToken: null, deviceId: `phone-${randomUUID()}` };
  }

  async function addCard(player: Player, number: string, deviceId = player.deviceId, makeDefault = false) {
    const res = await app.gql(
      ADD_CARD,
      {
        input: { number, expMonth: 12, expYear: 2040, cvc: '123', holderName: 'Nat Player', deviceId, makeDefault },
      },
      { token: player.token, headers: fromNat },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data.addCard;
  }

  async function authorize(player: Player): Promise<void> {
    const res = await app.gql(
      AUTHORIZE,
      {
        input: {
          gameId: game.gameId,
          oneTapMax: { amount: '1000', currency: 'USD' },
          dailyCap: { amount: '5000', currency: 'USD' },
        },
      },
      { token: player.token, headers: fromNat },
    );
    player.gameToken = expectTypename(res.data.authorizeGame, 'AuthorizeGamePayload').gameToken;
  }

  /** One tap from the game (its device id on the purchase); answers the CVC when asked. */
  async function buy(player: Player, deviceId = player.deviceId) {
    const item = game.items.life!;
    const res = await app.gql(
      createPurchaseDocument,
      {
        input: {
          gameId: game.gameId,
          itemId: item.id,
          quantity: 1,
          expectedPrice: item.price,
          idempotencyKey: randomUUID(),
          deviceId,
        },
      },
      { token: player.gameToken, headers: fromNat },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const first = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    if (first.status !== 'REQUIRES_ACTION') return { first, final: first };
    expect(first).toMatchObject({ requiresActionReason: 'STEP_UP', risk: { decision: 'STEP_UP' } });
    const confirmed = await app.gql(
      confirmPurchaseDocument,
      { input: { purchaseId: first.id, idempotencyKey: randomUUID(), cvc: '123' } },
      { token: player.token, headers: fromNat },
    );
    expect(confirmed.errors, JSON.stringify(confirmed.errors)).toBeUndefined();
    return { first, final: expectTypename(confirmed.data.confirmPurchase, 'PurchasePayload').purchase };
  }

  it('asks the CVC of new cards, refuses the tester within 6 cards, and never blocks a player who paid', {
    timeout: 180_000,
  }, async () => {
    // 1. Eight players add a card each from the address within minutes: none is refused (the old
    //    cards_per_ip wall refused the 5th), and each first purchase goes through, with the CVC
    //    once the address has seen 5 cards.
    const honest: Player[] = [];
    for (let i = 0; i < 8; i++) {
      const player = await signUp();
      expect((await addCard(player, randomApprovedCard())).__typename).toBe('AddCardPayload');
      await authorize(player);
      honest.push(player);
      clock.advance(MINUTE);
    }
    const waiting = await signUp(); // adds a card now, buys only after the tester came
    expect((await addCard(waiting, randomApprovedCard())).__typename).toBe('AddCardPayload');
    await authorize(waiting);
    for (const player of honest) {
      const { first, final } = await buy(player);
      expect(final.status).toBe('SUCCEEDED');
      expect(first.risk?.decision).toBe('STEP_UP');
      expect(first.risk?.rulesFired.map((r) => r.rule)).toContain('cards_per_ip');
      expect(livingCharges(await chargesFor(app, decodeId(final.id)))).toHaveLength(1);
    }

    // 2. A card tester on the same address: a fresh account and a fresh device for every card, cards
    //    the bank declines. Five reach the bank; from the 6th the address refuses new cards of
    //    accounts that never paid, before the acquirer sees them.
    const attempts: string[] = [];
    for (let i = 0; i < 12; i++) {
      const tester = await signUp();
      const answer = await addCard(tester, CARDS.genericDecline, `emulator-${randomUUID()}`);
      attempts.push(answer.__typename);
      if (answer.__typename === 'RiskBlocked') expect(answer.rulesFired).toEqual(['address_card_testing']);
      clock.advance(10_000);
    }
    expect(attempts.slice(0, 5)).toEqual(Array(5).fill('CardDeclined'));
    expect(attempts.slice(5)).toEqual(Array(7).fill('RiskBlocked'));

    // 3. While the address shows card testing, the players who paid buy in one tap, without the CVC,
    //    even from a device that saw many cards; their charges are counted once each.
    for (const [i, player] of honest.entries()) {
      const { first, final } = await buy(player, i === 0 ? `emulator-${randomUUID()}` : player.deviceId);
      expect(first.status, JSON.stringify(first.risk)).toBe('SUCCEEDED');
      expect(first.risk?.decision).toBe('ALLOW');
      expect(livingCharges(await chargesFor(app, decodeId(final.id)))).toHaveLength(1);
    }
    // A player who paid may add another card there; its first charge asks for the CVC, never refuses.
    const second = await addCard(honest[1]!, randomApprovedCard(), honest[1]!.deviceId, true);
    expect(second.__typename).toBe('AddCardPayload');
    const onSecond = await buy(honest[1]!);
    expect(onSecond.final.status).toBe('SUCCEEDED');
    expect(onSecond.first.risk?.decision).toBe('STEP_UP');
    // A player whose card has not paid yet is asked for the CVC, not blocked.
    const late = await buy(waiting);
    expect(late.final.status).toBe('SUCCEEDED');
    expect(late.first.risk?.decision).toBe('STEP_UP');
    expect(late.first.risk?.rulesFired.map((r) => r.rule)).toEqual(
      expect.arrayContaining(['cards_per_ip', 'address_card_testing']),
    );

    // 4. A brand-new player there cannot add a first card until the address cools down; the message
    //    says when, in minutes, and then it works.
    const newcomer = await signUp();
    const refused = await addCard(newcomer, randomApprovedCard());
    const blocked = expectTypename(refused, 'RiskBlocked');
    expect(blocked.rulesFired).toEqual(['address_card_testing']);
    expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
    expect(blocked.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    expect(blocked.message).toMatch(/Try again in \d+ minutes?\./);
    expect(blocked.message).not.toMatch(/\d+ ?s\b|seconds/);
    clock.advance((blocked.retryAfterSeconds as number) * 1000);
    expect((await addCard(newcomer, randomApprovedCard())).__typename).toBe('AddCardPayload');
  });
});
