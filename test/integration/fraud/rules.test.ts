import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assessCardAdd,
  assessPurchase,
  blockCardFingerprint,
  blockPlayer,
  combineRisk,
  listRiskEvents,
  recordDecline,
  recordRiskEvent,
  releasePurchaseAmount,
  riskFromAcquirer,
  unblockPlayer,
  type AssessPurchaseInput,
} from '../../../src/modules/fraud/index.js';
import type { Deps } from '../../../src/modules/service-context.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { ForbiddenError, RateLimitedError, RiskBlockedError } from '../../../src/shared/errors.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  contextOf,
  DAY,
  HOUR,
  MINUTE,
  newFingerprint,
  newPlayer,
  operator,
  purchaseOf,
  dropRedisKeys,
} from './fixtures.js';

describe('fraud rules (real Postgres and Redis, ManualClock)', () => {
  const clock = new ManualClock();
  let app: TestApp;
  let deps: Deps;
  const ctx = () => contextOf(deps);
  const assess = (input: AssessPurchaseInput) => assessPurchase(ctx(), input);
  const rules = (result: { rulesFired: readonly { rule: string }[] }) => result.rulesFired.map((r) => r.rule);

  beforeAll(async () => {
    app = await createTestApp({ clock });
    deps = app.deps;
  });
  afterAll(async () => {
    await dropRedisKeys(app);
    await app?.close();
  });

  describe('purchases per player', () => {
    it('allows the 10th purchase in a minute and blocks the 11th, with a retry-after until the oldest leaves', async () => {
      const player = await newPlayer(deps);
      for (let i = 0; i < 10; i++) {
        const result = await assess(purchaseOf(player));
        expect(result.decision).toBe('ALLOW');
        clock.advance(1000);
      }
      const eleventh = await assess(purchaseOf(player));
      expect(eleventh.decision).toBe('BLOCK');
      expect(eleventh.rulesFired).toEqual([{ rule: 'purchases_per_minute', value: 11, threshold: 10 }]);
      expect(eleventh.retryAfterSeconds).toBe(50);
      expect(eleventh.score).toBeGreaterThanOrEqual(80);
    });

    it('counts a purchase for exactly a minute: blocked 1 ms before the edge, allowed at it', async () => {
      const player = await newPlayer(deps);
      for (let i = 0; i < 10; i++) await assess(purchaseOf(player));
      clock.advance(MINUTE - 1);
      expect((await assess(purchaseOf(player))).decision).toBe('BLOCK');
      clock.advance(1);
      expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
    });

    it('allows the 60th purchase in an hour and blocks the 61st', async () => {
      const player = await newPlayer(deps);
      for (let i = 0; i < 60; i++) {
        expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
        clock.advance(MINUTE - 1000);
      }
      const blocked = await assess(purchaseOf(player));
      expect(blocked.decision).toBe('BLOCK');
      expect(blocked.rulesFired).toEqual([{ rule: 'purchases_per_hour', value: 61, threshold: 60 }]);
    });

    it('counts one purchase assessed twice (one tap, then confirmation) once', async () => {
      const player = await newPlayer(deps);
      const purchase = purchaseOf(player);
      for (let i = 0; i < 12; i++) expect((await assess(purchase)).decision).toBe('ALLOW');
    });
  });

  describe('amount per player per 24 hours', () => {
    it('allows up to USD 500.00 and blocks one cent more, until the first purchase leaves the day', async () => {
      const player = await newPlayer(deps);
      expect((await assess(purchaseOf(player, { amountMinor: 30_000 }))).decision).toBe('ALLOW');
      clock.advance(HOUR);
      const atCap = await assess(purchaseOf(player, { amountMinor: 20_000 }));
      expect(atCap.decision).toBe('ALLOW');
      const over = await assess(purchaseOf(player, { amountMinor: 1 }));
      expect(over.decision).toBe('BLOCK');
      expect(over.rulesFired).toEqual([{ rule: 'daily_amount', value: 50_001, threshold: 50_000 }]);
      expect(over.retryAfterSeconds).toBe((DAY - HOUR) / 1000);
      clock.advance(DAY - HOUR);
      expect((await assess(purchaseOf(player, { amountMinor: 30_000 }))).decision).toBe('ALLOW');
    });

    it('uses the configured cap per currency (JPY 75,000) and 500 major units for an unconfigured ISO currency', async () => {
      const player = await newPlayer(deps);
      expect((await assess(purchaseOf(player, { currency: 'JPY', amountMinor: 75_000 }))).decision).toBe('ALLOW');
      expect((await assess(purchaseOf(player, { currency: 'JPY', amountMinor: 1 }))).decision).toBe('BLOCK');
      expect((await assess(purchaseOf(player, { currency: 'CHF', amountMinor: 50_000 }))).decision).toBe('ALLOW');
      expect((await assess(purchaseOf(player, { currency: 'CHF', amountMinor: 1 }))).rulesFired[0]).toEqual({
        rule: 'daily_amount',
        value: 50_001,
        threshold: 50_000,
      });
    });

    it('says waiting cannot help when one purchase is above the whole cap', async () => {
      const result = await assess(purchaseOf(await newPlayer(deps), { amountMinor: 50_001 }));
      expect(result.decision).toBe('BLOCK');
      expect(result.retryAfterSeconds).toBeNull();
    });

    it('gives the amount back when the purchase is released or declined', async () => {
      const player = await newPlayer(deps);
      const first = purchaseOf(player, { amountMinor: 40_000 });
      await assess(first);
      await releasePurchaseAmount(ctx(), { playerId: player, purchaseId: first.purchaseId as string, currency: 'USD' });
      const second = purchaseOf(player, { amountMinor: 40_000 });
      expect((await assess(second)).decision).toBe('ALLOW');
      await recordDecline(ctx(), { playerId: player, purchaseId: second.purchaseId, currency: 'USD' });
      expect((await assess(purchaseOf(player, { amountMinor: 50_000 }))).decision).toBe('ALLOW');
    });
  });

  describe('declines', () => {
    it('locks out for 5 minutes after the 3rd bank decline within an hour, then 15 on repetition; 2 do not block', async () => {
      const player = await newPlayer(deps);
      await recordDecline(ctx(), { playerId: player, declineCode: 'insufficient_funds' });
      clock.advance(10 * MINUTE);
      const second = await recordDecline(ctx(), { playerId: player, declineCode: 'generic_decline' });
      expect(second).toEqual({ declinesLastHour: 2, blockedUntil: null });
      expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
      clock.advance(10 * MINUTE);
      const third = await recordDecline(ctx(), { playerId: player });
      expect(third.blockedUntil?.getTime()).toBe(clock.now().getTime() + 5 * MINUTE);
      const blocked = await assess(purchaseOf(player));
      expect(blocked.decision).toBe('BLOCK');
      expect(blocked.rulesFired).toEqual([{ rule: 'declines_per_hour', value: 3, threshold: 3 }]);
      expect(blocked.retryAfterSeconds).toBe(300);
      const refused = await assessCardAdd(ctx(), {
        playerId: player,
        fingerprint: newFingerprint(),
        ip: null,
        deviceId: null,
      }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RiskBlockedError);
      // players read minutes, machines read seconds
      expect((refused as RiskBlockedError).message).toBe(
        'Adding this card was blocked by risk checks. Try again in 5 minutes.',
      );
      expect((refused as RiskBlockedError).retryAfterSeconds).toBe(300);
      clock.advance(5 * MINUTE - 1);
      expect((await assess(purchaseOf(player))).decision).toBe('BLOCK');
      clock.advance(1);
      expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
      for (let i = 0; i < 3; i++) await recordDecline(ctx(), { playerId: player });
      const again = await assess(purchaseOf(player));
      expect(again.retryAfterSeconds).toBe(15 * 60);
    });

    it('weighs a mistyped CVC half: two bad cards and one incorrect_cvc within an hour do not lock out', async () => {
      const player = await newPlayer(deps);
      await recordDecline(ctx(), { playerId: player, declineCode: 'generic_decline' });
      await recordDecline(ctx(), { playerId: player, declineCode: 'insufficient_funds' });
      const cvc = await recordDecline(ctx(), { playerId: player, declineCode: 'incorrect_cvc' });
      expect(cvc.blockedUntil).toBeNull();
      expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
      expect(
        (await recordDecline(ctx(), { playerId: player, declineCode: 'incorrect_cvc' })).blockedUntil,
      ).not.toBeNull();
    });

    it('does not block when the 3rd decline comes one hour after the 1st', async () => {
      const player = await newPlayer(deps);
      await recordDecline(ctx(), { playerId: player });
      clock.advance(30 * MINUTE);
      await recordDecline(ctx(), { playerId: player });
      clock.advance(30 * MINUTE);
      expect((await recordDecline(ctx(), { playerId: player })).blockedUntil).toBeNull();
      expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
    });
  });

  describe('cards of a player', () => {
    it('allows 5 distinct cards in 24 hours and refuses the 6th with RateLimited and a retry-after', async () => {
      const player = await newPlayer(deps);
      for (let i = 0; i < 5; i++) {
        expect(
          (await assessCardAdd(ctx(), { playerId: player, fingerprint: newFingerprint(), ip: null, deviceId: null }))
            .decision,
        ).toBe('ALLOW');
        clock.advance(MINUTE);
      }
      const sixth = await assessCardAdd(ctx(), {
        playerId: player,
        fingerprint: newFingerprint(),
        ip: null,
        deviceId: null,
      }).catch((e: unknown) => e);
      expect(sixth).toBeInstanceOf(RateLimitedError);
      expect((sixth as RateLimitedError).retryAfterSeconds).toBe((DAY - 5 * MINUTE) / 1000);
      clock.advance(DAY - 5 * MINUTE);
      expect(
        (await assessCardAdd(ctx(), { playerId: player, fingerprint: newFingerprint(), ip: null, deviceId: null }))
          .decision,
      ).toBe('ALLOW');
    });

    it('steps up the first charge on the 3rd card added within 24 hours, not on the 2nd, not on a later charge', async () => {
      const player = await newPlayer(deps);
      const cards = [newFingerprint(), newFingerprint(), newFingerprint()];
      for (const fingerprint of cards)
        await assessCardAdd(ctx(), { playerId: player, fingerprint, ip: null, deviceId: null });
      clock.advance(HOUR);
      const addedAt = new Date(clock.now().getTime() - HOUR);
      const second = await assess(purchaseOf(player, { cardFingerprint: cards[1] as string, cardAddedAt: addedAt }));
      expect(second.decision).toBe('ALLOW');
      const thirdInput = purchaseOf(player, { cardFingerprint: cards[2] as string, cardAddedAt: addedAt });
      const third = await assess(thirdInput);
      expect(third.decision).toBe('STEP_UP');
      expect(third.rulesFired).toEqual([{ rule: 'cards_per_player', value: 3, threshold: 3 }]);
      expect(third.score).toBeGreaterThanOrEqual(50);
      expect(third.score).toBeLessThan(80);
      // the same purchase assessed again at confirmation is still the card's first charge
      expect((await assess(thirdInput)).decision).toBe('STEP_UP');
      const later = await assess(purchaseOf(player, { cardFingerprint: cards[2] as string, cardAddedAt: addedAt }));
      expect(later.decision).toBe('ALLOW');
      const explicit = await assess(
        purchaseOf(player, { cardFingerprint: cards[2] as string, cardAddedAt: addedAt, isFirstChargeOnCard: true }),
      );
      expect(explicit.decision).toBe('STEP_UP');
    });
  });

  describe('one card, many players', () => {
    it('blocks the card once a 3rd player uses it within 24 hours; 2 players pass', async () => {
      const fingerprint = newFingerprint();
      const [a, b, c] = [await newPlayer(deps), await newPlayer(deps), await newPlayer(deps)];
      await assessCardAdd(ctx(), { playerId: a, fingerprint, ip: null, deviceId: null });
      expect((await assess(purchaseOf(b, { cardFingerprint: fingerprint }))).decision).toBe('ALLOW');
      const third = await assess(purchaseOf(c, { cardFingerprint: fingerprint }));
      expect(third.decision).toBe('BLOCK');
      expect(third.rulesFired).toContainEqual({ rule: 'players_per_card', value: 3, threshold: 3 });
      const atAdd = await assessCardAdd(ctx(), {
        playerId: await newPlayer(deps),
        fingerprint,
        ip: null,
        deviceId: null,
      }).catch((e: unknown) => e);
      expect(atAdd).toBeInstanceOf(RiskBlockedError);
      expect((atAdd as RiskBlockedError).rulesFired).toEqual(['players_per_card']);
    });
  });

  describe('cards from one IP or device', () => {
    it('never blocks for distinct cards from one IP: from the 5th, a card that has not paid asks for the CVC', async () => {
      const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
      for (let i = 0; i < 4; i++) {
        expect(
          (await assess(purchaseOf(await newPlayer(deps), { cardFingerprint: newFingerprint(), ip }))).decision,
        ).toBe('ALLOW');
      }
      for (let i = 0; i < 20; i++) {
        const later = await assess(
          purchaseOf(await newPlayer(deps), { cardFingerprint: newFingerprint(), ip: `::ffff:${ip}` }),
        );
        expect(later.decision).toBe('STEP_UP');
        expect(later.rulesFired).toEqual([{ rule: 'cards_per_ip', value: 5 + i, threshold: 5 }]);
        expect(later.retryAfterSeconds).toBeNull();
      }
      // adding cards from the address is never refused for their number alone
      for (let i = 0; i < 5; i++) {
        await assessCardAdd(ctx(), {
          playerId: await newPlayer(deps),
          fingerprint: newFingerprint(),
          ip,
          deviceId: null,
        });
      }
    });
  });

  describe('first charge on a new card', () => {
    const newCard = async (player: string, over: Partial<AssessPurchaseInput>) =>
      assess(purchaseOf(player, { cardFingerprint: newFingerprint(), ...over }));

    it('steps up above USD 50.00 on a card added less than 10 minutes ago', async () => {
      const player = await newPlayer(deps);
      const justAdded = new Date(clock.now().getTime() - (10 * MINUTE - 1));
      const over = await newCard(player, { cardAddedAt: justAdded, amountMinor: 5001 });
      expect(over.decision).toBe('STEP_UP');
      expect(over.rulesFired).toEqual([{ rule: 'new_card_large_first_charge', value: 5001, threshold: 5000 }]);
      expect((await newCard(player, { cardAddedAt: justAdded, amountMinor: 5000 })).decision).toBe('ALLOW');
      const tenMinutes = new Date(clock.now().getTime() - 10 * MINUTE);
      expect((await newCard(player, { cardAddedAt: tenMinutes, amountMinor: 5001 })).decision).toBe('ALLOW');
    });

    it('uses the per-currency amount (JPY 7,500) and only on the first charge', async () => {
      const player = await newPlayer(deps);
      const fingerprint = newFingerprint();
      const cardAddedAt = clock.now();
      expect(
        (
          await assess(
            purchaseOf(player, { cardFingerprint: fingerprint, cardAddedAt, currency: 'JPY', amountMinor: 7_500 }),
          )
        ).decision,
      ).toBe('ALLOW');
      expect(
        (
          await assess(
            purchaseOf(player, { cardFingerprint: fingerprint, cardAddedAt, currency: 'JPY', amountMinor: 7_501 }),
          )
        ).decision,
      ).toBe('ALLOW');
      expect((await newCard(player, { cardAddedAt, currency: 'JPY', amountMinor: 7_501 })).decision).toBe('STEP_UP');
    });
  });

  describe('operator blocks', () => {
    it("blocks a player's purchases and card adds until unblocked", async () => {
      const player = await newPlayer(deps);
      await blockPlayer(contextOf(deps, operator), { playerId: player, reason: 'chargebacks' });
      const blocked = await assess(purchaseOf(player));
      expect(blocked).toMatchObject({
        decision: 'BLOCK',
        score: 100,
        retryAfterSeconds: null,
        rulesFired: [{ rule: 'player_blocked', value: 1, threshold: 1 }],
      });
      await expect(
        assessCardAdd(ctx(), { playerId: player, fingerprint: newFingerprint(), ip: null, deviceId: null }),
      ).rejects.toBeInstanceOf(RiskBlockedError);
      expect(await unblockPlayer(contextOf(deps, operator), { playerId: player })).toBe(true);
      expect(await unblockPlayer(contextOf(deps, operator), { playerId: player })).toBe(false);
      expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
    });

    it('blocks a card fingerprint for every player', async () => {
      const fingerprint = newFingerprint();
      await blockCardFingerprint(contextOf(deps, operator), { fingerprint, reason: 'reported stolen' });
      const blocked = await assess(purchaseOf(await newPlayer(deps), { cardFingerprint: fingerprint }));
      expect(rules(blocked)).toEqual(['card_blocked']);
      const other = await assess(purchaseOf(await newPlayer(deps), { cardFingerprint: newFingerprint() }));
      expect(other.decision).toBe('ALLOW');
    });

    it('refuses blocking to anyone but the operator', async () => {
      const player = await newPlayer(deps);
      const asPlayer = contextOf(deps, { kind: 'player', playerId: player, sessionId: randomUUID() });
      await expect(blockPlayer(asPlayer, { playerId: player, reason: 'x' })).rejects.toBeInstanceOf(ForbiddenError);
      expect((await assess(purchaseOf(player))).decision).toBe('ALLOW');
    });
  });

  describe('acquirer risk', () => {
    it('maps highest to BLOCK, elevated to STEP_UP and normal to ALLOW; the stricter of two assessments wins', () => {
      expect(riskFromAcquirer('highest')).toMatchObject({
        decision: 'BLOCK',
        score: 100,
        rulesFired: [{ rule: 'acquirer_highest_risk' }],
      });
      expect(riskFromAcquirer('elevated')).toMatchObject({
        decision: 'STEP_UP',
        rulesFired: [{ rule: 'acquirer_elevated_risk' }],
      });
      expect(riskFromAcquirer('normal')).toMatchObject({ decision: 'ALLOW', rulesFired: [] });
      const combined = combineRisk(riskFromAcquirer('normal'), riskFromAcquirer('highest'));
      expect(combined.decision).toBe('BLOCK');
      expect(combineRisk(riskFromAcquirer('elevated'), riskFromAcquirer('normal')).decision).toBe('STEP_UP');
    });
  });

  describe('risk events', () => {
    it('logs every card add and lists events newest first with filters, for operators only', async () => {
      const player = await newPlayer(deps);
      const fingerprint = newFingerprint();
      await assessCardAdd(ctx(), { playerId: player, fingerprint, ip: null, deviceId: null });
      const purchaseId = randomUUID();
      const gameId = randomUUID();
      const risk = await assess(purchaseOf(player, { gameId, purchaseId, cardFingerprint: fingerprint }));
      clock.advance(1000);
      await recordRiskEvent(deps.db, {
        gameId,
        playerId: player,
        purchaseId,
        kind: 'purchase',
        ...risk,
        at: clock.now(),
      });
      const all = await listRiskEvents(contextOf(deps, operator), { playerId: player }, { limit: 10, inverted: false });
      expect(all.map((e) => e.kind)).toEqual(['purchase', 'card_add']);
      expect(all[0]).toMatchObject({ gameId, purchaseId, decision: 'ALLOW', cardFingerprint: fingerprint });
      expect(all[1]).toMatchObject({ gameId: null, cardFingerprint: fingerprint, decision: 'ALLOW' });
      const cardAdds = await listRiskEvents(
        contextOf(deps, operator),
        { playerId: player, kind: 'card_add' },
        { limit: 10, inverted: false },
      );
      expect(cardAdds).toHaveLength(1);
      const page2 = await listRiskEvents(
        contextOf(deps, operator),
        { playerId: player },
        { limit: 10, inverted: false, after: all[0] },
      );
      expect(page2.map((e) => e.id)).toEqual([all[1]?.id]);
      await expect(listRiskEvents(ctx(), { playerId: player }, { limit: 10, inverted: false })).rejects.toThrow();
    });
  });
});
