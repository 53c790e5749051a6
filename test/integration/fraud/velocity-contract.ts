import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  CardAddVelocityLimits,
  CardAddVelocityRequest,
  DeclineRequest,
  PurchaseVelocityLimits,
  PurchaseVelocityRequest,
  VelocityStore,
} from '../../../src/shared/velocity-port.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export const purchaseLimits: PurchaseVelocityLimits = {
  purchasesPerMinute: 10,
  purchasesPerHour: 60,
  dailyAmountCap: 50_000,
  declinesToBlock: 3,
  declineBlockMs: 4 * HOUR,
  playersPerCardBlockAt: 3,
  cardsPerIpSignalAt: 5,
  cardsPerDeviceBlockAt: 5,
  addressDeclinePointsAt: 10,
};

export const cardLimits: CardAddVelocityLimits = {
  cardsPerPlayerRefuseAt: 6,
  playersPerCardBlockAt: 3,
  cardsPerIpSignalAt: 5,
  cardsPerDeviceBlockAt: 5,
  addressDeclinePointsAt: 10,
  declinesToBlock: 3,
  declineBlockMs: 4 * HOUR,
};

/** The contract both the Redis velocity store and its in-process twin pass. */
export function velocityContract(name: string, factory: () => Promise<VelocityStore>): void {
  describe(`${name} velocity store contract`, () => {
    let store: VelocityStore;
    const t0 = Date.UTC(2030, 0, 1, 12, 0, 0);
    beforeAll(async () => {
      store = await factory();
    });

    const purchase = (
      playerId: string,
      nowMs: number,
      over: Partial<PurchaseVelocityRequest> = {},
    ): PurchaseVelocityRequest => ({
      nowMs,
      playerId,
      attemptId: randomUUID(),
      amountMinor: 100,
      currency: 'USD',
      cardFingerprint: null,
      cardHasPaid: false,
      ip: null,
      deviceId: null,
      limits: purchaseLimits,
      ...over,
    });
    const cardAdd = (
      playerId: string,
      nowMs: number,
      over: Partial<CardAddVelocityRequest> = {},
    ): CardAddVelocityRequest => ({
      nowMs,
      playerId,
      fingerprint: randomUUID(),
      playerHasPaid: false,
      ip: null,
      deviceId: null,
      limits: cardLimits,
      ...over,
    });

    describe('purchases per player', () => {
      it('allows the 10th purchase in a minute and blocks the 11th, with the retry-after of the oldest', async () => {
        const player = randomUUID();
        for (let i = 0; i < 10; i++) {
          const result = await store.evaluate(purchase(player, t0 + i * 1000));
          expect(result.blocked).toBe(false);
          expect(result.purchasesLastMinute.value).toBe(i + 1);
        }
        const eleventh = await store.evaluate(purchase(player, t0 + 10_000));
        expect(eleventh.blocked).toBe(true);
        expect(eleventh.recorded).toBe(false);
        expect(eleventh.purchasesLastMinute).toEqual({ value: 11, retryAfterMs: MINUTE - 10_000 });
      });

      it('counts a purchase for exactly one minute: 1 ms before the edge it counts, at the edge it does not', async () => {
        const player = randomUUID();
        for (let i = 0; i < 10; i++) await store.evaluate(purchase(player, t0));
        const before = await store.evaluate(purchase(player, t0 + MINUTE - 1));
        expect(before.blocked).toBe(true);
        expect(before.purchasesLastMinute.retryAfterMs).toBe(1);
        const at = await store.evaluate(purchase(player, t0 + MINUTE));
        expect(at.blocked).toBe(false);
        expect(at.purchasesLastMinute.value).toBe(1);
        expect(at.purchasesLastHour.value).toBe(11);
      });

      it('allows the 60th purchase in an hour and blocks the 61st until the first leaves the hour', async () => {
        const player = randomUUID();
        for (let i = 0; i < 60; i++) {
          expect((await store.evaluate(purchase(player, t0 + i * 10 * 6000))).blocked).toBe(false);
        }
        const sixtyFirst = await store.evaluate(purchase(player, t0 + HOUR - 1));
        expect(sixtyFirst.blocked).toBe(true);
        expect(sixtyFirst.purchasesLastHour).toEqual({ value: 61, retryAfterMs: 1 });
        expect((await store.evaluate(purchase(player, t0 + HOUR))).blocked).toBe(false);
      });

      it('counts the same purchase once when it is evaluated again', async () => {
        const player = randomUUID();
        const request = purchase(player, t0);
        await store.evaluate(request);
        const again = await store.evaluate({ ...request, nowMs: t0 + 5 });
        expect(again.purchasesLastMinute.value).toBe(1);
        expect(again.amountLastDay.value).toBe(100);
      });

      it('does not count a blocked attempt', async () => {
        const player = randomUUID();
        for (let i = 0; i < 10; i++) await store.evaluate(purchase(player, t0));
        for (let i = 0; i < 5; i++) await store.evaluate(purchase(player, t0 + 1));
        // had the blocked ones counted, this would be the 16th in the hour
        expect((await store.evaluate(purchase(player, t0 + MINUTE))).purchasesLastHour.value).toBe(11);
      });
    });

    describe('amount per player per 24 hours', () => {
      it('allows up to the cap exactly and blocks one minor unit more, until enough leaves the day', async () => {
        const player = randomUUID();
        expect((await store.evaluate(purchase(player, t0, { amountMinor: 30_000 }))).amountLastDay.value).toBe(30_000);
        expect((await store.evaluate(purchase(player, t0 + HOUR, { amountMinor: 19_999 }))).blocked).toBe(false);
        expect((await store.evaluate(purchase(player, t0 + 2 * HOUR, { amountMinor: 1 }))).amountLastDay).toEqual({
          value: 50_000,
          retryAfterMs: 0,
        });
        const over = await store.evaluate(purchase(player, t0 + 3 * HOUR, { amountMinor: 1 }));
        expect(over.blocked).toBe(true);
        expect(over.amountLastDay).toEqual({ value: 50_001, retryAfterMs: DAY - 3 * HOUR });
        expect((await store.evaluate(purchase(player, t0 + DAY - 1, { amountMinor: 1 }))).blocked).toBe(true);
        expect((await store.evaluate(purchase(player, t0 + DAY, { amountMinor: 1 }))).amountLastDay.value).toBe(20_001);
      });

      it('keeps currencies apart', async () => {
        const player = randomUUID();
        await store.evaluate(purchase(player, t0, { amountMinor: 50_000 }));
        const eur = await store.evaluate(purchase(player, t0, { amountMinor: 50_000, currency: 'EUR' }));
        expect(eur.blocked).toBe(false);
        expect(eur.amountLastDay.value).toBe(50_000);
      });

      it('says waiting cannot help when one purchase alone is above the cap', async () => {
        const over = await store.evaluate(purchase(randomUUID(), t0, { amountMinor: 50_001 }));
        expect(over.blocked).toBe(true);
        expect(over.amountLastDay).toEqual({ value: 50_001, retryAfterMs: null });
      });

      it('gives the amount back when a purchase is released or declined', async () => {
        const player = randomUUID();
        const first = purchase(player, t0, { amountMinor: 40_000 });
        await store.evaluate(first);
        await store.releasePurchase({ playerId: player, attemptId: first.attemptId, currency: 'USD' });
        const second = purchase(player, t0 + 1, { amountMinor: 40_000 });
        expect((await store.evaluate(second)).blocked).toBe(false);
        await store.recordDecline({
          nowMs: t0 + 2,
          playerId: player,
          attemptId: second.attemptId,
          kind: 'bank',
          currency: 'USD',
          ip: null,
          cardFingerprint: null,
          declinesToBlock: 3,
          declineBlockMs: 4 * HOUR,
        });
        expect((await store.evaluate(purchase(player, t0 + 3, { amountMinor: 50_000 }))).blocked).toBe(false);
      });
    });

    describe('declines', () => {
      const decline = (
        playerId: string,
        nowMs: number,
        kind: 'bank' | 'incorrect_cvc' = 'bank',
        over: Partial<DeclineRequest> = {},
      ) =>
        store.recordDecline({
          nowMs,
          playerId,
          attemptId: randomUUID(),
          kind,
          currency: null,
          ip: null,
          cardFingerprint: null,
          declinesToBlock: 3,
          declineBlockMs: 4 * HOUR,
          ...over,
        });

      it('locks the player out for 5 minutes from the 3rd bank decline within an hour, not after the 2nd', async () => {
        const player = randomUUID();
        await decline(player, t0);
        expect((await decline(player, t0 + 10 * MINUTE)).declineBlockUntilMs).toBeNull();
        expect((await store.evaluate(purchase(player, t0 + 11 * MINUTE))).blocked).toBe(false);
        const third = await decline(player, t0 + 20 * MINUTE);
        expect(third).toEqual({
          declinesLastHour: 3,
          declinePoints: 0,
          lockOuts: 1,
          declineBlockUntilMs: t0 + 25 * MINUTE,
        });
        const blocked = await store.evaluate(purchase(player, t0 + 25 * MINUTE - 1));
        expect(blocked.blocked).toBe(true);
        expect(blocked.declineBlockUntilMs).toBe(t0 + 25 * MINUTE);
        expect((await store.evaluateCardAdd(cardAdd(player, t0 + 25 * MINUTE - 1))).blocked).toBe(true);
        // the lock-out ends after 5 minutes, though the declines are still within the hour
        expect((await store.evaluate(purchase(player, t0 + 25 * MINUTE))).blocked).toBe(false);
      });

      it('weighs a mistyped CVC half: 2 bank declines and 1 incorrect_cvc do not lock, a 2nd incorrect_cvc does', async () => {
        const player = randomUUID();
        await decline(player, t0);
        await decline(player, t0 + 1);
        const cvc = await decline(player, t0 + 2, 'incorrect_cvc');
        expect(cvc).toMatchObject({ declinesLastHour: 3, declinePoints: 5, declineBlockUntilMs: null });
        expect((await decline(player, t0 + 3, 'incorrect_cvc')).declineBlockUntilMs).toBe(t0 + 3 + 5 * MINUTE);
        // six mistyped CVCs of an honest but clumsy player lock as long as three bank declines
        const clumsy = randomUUID();
        for (let i = 0; i < 5; i++) await decline(clumsy, t0 + i, 'incorrect_cvc');
        expect((await decline(clumsy, t0 + 5, 'incorrect_cvc')).declineBlockUntilMs).toBe(t0 + 5 + 5 * MINUTE);
      });

      it('escalates on repetition within 24 hours: 5 minutes, 15, 45, up to the cap; a day later 5 again', async () => {
        const player = randomUUID();
        const run = async (start: number) => {
          await decline(player, start);
          await decline(player, start + 1);
          return (await decline(player, start + 2)).declineBlockUntilMs;
        };
        expect(await run(t0)).toBe(t0 + 2 + 5 * MINUTE);
        expect(await run(t0 + 10 * MINUTE)).toBe(t0 + 10 * MINUTE + 2 + 15 * MINUTE);
        expect(await run(t0 + HOUR)).toBe(t0 + HOUR + 2 + 45 * MINUTE);
        expect(await run(t0 + 2 * HOUR)).toBe(t0 + 2 * HOUR + 2 + 135 * MINUTE);
        const capped = await run(t0 + 5 * HOUR);
        expect(capped).toBe(t0 + 5 * HOUR + 2 + 4 * HOUR);
        const state = await store.evaluate(purchase(player, t0 + 5 * HOUR + 3));
        expect(state).toMatchObject({ blocked: true, lockOuts: 5 });
        // 24 hours after the first lock-outs began, the record is clean again
        expect(await run(t0 + 2 * DAY)).toBe(t0 + 2 * DAY + 2 + 5 * MINUTE);
      });

      it('does not lock when the 3rd decline comes exactly one hour after the 1st', async () => {
        const player = randomUUID();
        await decline(player, t0);
        await decline(player, t0 + 30 * MINUTE);
        expect((await decline(player, t0 + HOUR)).declineBlockUntilMs).toBeNull();
        const justInside = randomUUID();
        await decline(justInside, t0);
        await decline(justInside, t0 + 30 * MINUTE);
        expect((await decline(justInside, t0 + HOUR - 1)).declineBlockUntilMs).toBe(t0 + HOUR - 1 + 5 * MINUTE);
      });

      it('counts a repeated report of the same decline once', async () => {
        const player = randomUUID();
        const request: DeclineRequest = {
          nowMs: t0,
          playerId: player,
          attemptId: randomUUID(),
          kind: 'bank',
          currency: null,
          ip: null,
          cardFingerprint: null,
          declinesToBlock: 3,
          declineBlockMs: HOUR,
        };
        await store.recordDecline(request);
        await store.recordDecline(request);
        expect((await store.recordDecline(request)).declinesLastHour).toBe(1);
      });

      it('applies the thresholds of the call: a stricter game locks after 2', async () => {
        const player = randomUUID();
        await decline(player, t0);
        await decline(player, t0 + 1);
        expect((await store.evaluate(purchase(player, t0 + 2))).blocked).toBe(false);
        const strict = await store.evaluate(
          purchase(player, t0 + 3, { limits: { ...purchaseLimits, declinesToBlock: 2 } }),
        );
        expect(strict.blocked).toBe(true);
        expect(strict.declineBlockUntilMs).toBe(t0 + 1 + 5 * MINUTE);
      });
    });

    describe('cards', () => {
      it("ranks a player's distinct cards of 24 hours and refuses the 6th, without counting it", async () => {
        const player = randomUUID();
        for (let i = 1; i <= 5; i++) {
          const added = await store.evaluateCardAdd(cardAdd(player, t0 + i * MINUTE));
          expect(added.blocked).toBe(false);
          expect(added.rank).toBe(i);
        }
        const sixth = await store.evaluateCardAdd(cardAdd(player, t0 + 6 * MINUTE));
        expect(sixth.blocked).toBe(true);
        expect(sixth.rank).toBeNull();
        expect(sixth.cardsOfPlayer).toEqual({ value: 6, retryAfterMs: DAY - 5 * MINUTE });
        expect((await store.evaluateCardAdd(cardAdd(player, t0 + DAY + MINUTE - 1))).blocked).toBe(true);
        const later = await store.evaluateCardAdd(cardAdd(player, t0 + DAY + MINUTE));
        expect(later.blocked).toBe(false);
        expect(later.rank).toBe(5);
      });

      it('does not count the same card added again as a new one', async () => {
        const player = randomUUID();
        const fingerprint = randomUUID();
        await store.evaluateCardAdd(cardAdd(player, t0, { fingerprint }));
        await store.evaluateCardAdd(cardAdd(player, t0 + 1));
        const again = await store.evaluateCardAdd(cardAdd(player, t0 + 2, { fingerprint }));
        expect(again.cardsOfPlayer.value).toBe(2);
        expect(again.rank).toBe(1);
      });

      it('reports the rank a card was added with when it is charged', async () => {
        const player = randomUUID();
        const fingerprints = [randomUUID(), randomUUID(), randomUUID()];
        for (const fingerprint of fingerprints) await store.evaluateCardAdd(cardAdd(player, t0, { fingerprint }));
        expect(
          (await store.evaluate(purchase(player, t0 + 2 * DAY, { cardFingerprint: fingerprints[2] as string })))
            .cardAddRank,
        ).toBe(3);
        expect((await store.evaluate(purchase(player, t0, { cardFingerprint: randomUUID() }))).cardAddRank).toBeNull();
      });

      it('knows the first counted purchase on a card, and keeps it first when evaluated again', async () => {
        const player = randomUUID();
        const fingerprint = randomUUID();
        const blocked = await store.evaluate(
          purchase(player, t0, { cardFingerprint: fingerprint, amountMinor: 60_000 }),
        );
        expect(blocked.firstChargeOnCard).toBe(true);
        const first = purchase(player, t0 + 1, { cardFingerprint: fingerprint });
        expect((await store.evaluate(first)).firstChargeOnCard).toBe(true);
        expect((await store.evaluate({ ...first, nowMs: t0 + 2 })).firstChargeOnCard).toBe(true);
        expect(
          (await store.evaluate(purchase(player, t0 + 3, { cardFingerprint: fingerprint }))).firstChargeOnCard,
        ).toBe(false);
        // another player's first charge on the same card is theirs
        expect(
          (await store.evaluate(purchase(randomUUID(), t0 + 4, { cardFingerprint: fingerprint }))).firstChargeOnCard,
        ).toBe(true);
      });

      it('blocks a card that has not paid once a 3rd player uses it within 24 hours; a paid card is not blocked', async () => {
        const fingerprint = randomUUID();
        const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
        expect((await store.evaluateCardAdd(cardAdd(a, t0, { fingerprint }))).playersOnCard.value).toBe(1);
        expect((await store.evaluate(purchase(b, t0 + HOUR, { cardFingerprint: fingerprint }))).blocked).toBe(false);
        const third = await store.evaluate(purchase(c, t0 + 2 * HOUR, { cardFingerprint: fingerprint }));
        expect(third.blocked).toBe(true);
        expect(third.recorded).toBe(false);
        expect(third.playersOnCard).toEqual({ value: 3, retryAfterMs: DAY - 2 * HOUR });
        // the card's owner, whose charges went through, keeps buying
        const owner = await store.evaluate(
          purchase(a, t0 + 2 * HOUR + 1, { cardFingerprint: fingerprint, cardHasPaid: true }),
        );
        expect(owner.blocked).toBe(false);
        expect(owner.playersOnCard.value).toBe(3);
        // b's use leaves the day at t0 + DAY + HOUR: c's next attempt then counts a and c only
        expect(
          (await store.evaluate(purchase(c, t0 + DAY + HOUR + 1, { cardFingerprint: fingerprint }))).playersOnCard
            .value,
        ).toBe(2);
      });

      it('refuses the 5th distinct card from one device within an hour (4 pass), but never a card that paid', async () => {
        const deviceId = randomUUID();
        for (let i = 1; i <= 4; i++) {
          const added = await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + i, { deviceId }));
          expect(added.blocked).toBe(false);
          expect(added.cardsOnDevice.value).toBe(i);
        }
        const fifth = await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + 5, { deviceId }));
        expect(fifth.blocked).toBe(true);
        expect(fifth.cardsOnDevice).toEqual({ value: 5, retryAfterMs: HOUR - 4 });
        const fresh = await store.evaluate(purchase(randomUUID(), t0 + 6, { deviceId, cardFingerprint: randomUUID() }));
        expect(fresh.blocked).toBe(true);
        const paid = await store.evaluate(
          purchase(randomUUID(), t0 + 7, { deviceId, cardFingerprint: randomUUID(), cardHasPaid: true }),
        );
        expect(paid.blocked).toBe(false);
        expect(paid.cardsOnDevice.value).toBe(7);
        // tried cards count even when refused: the device stays hot while the attack goes on
        expect(
          (await store.evaluate(purchase(randomUUID(), t0 + HOUR + 1, { deviceId, cardFingerprint: randomUUID() })))
            .cardsOnDevice.value,
        ).toBe(7);
        expect(
          (await store.evaluate(purchase(randomUUID(), t0 + HOUR + 8, { deviceId, cardFingerprint: randomUUID() })))
            .cardsOnDevice.value,
        ).toBe(2);
      });

      it('reports the card, the address and the device of one purchase apart, and is refused by the device alone', async () => {
        const ip = `198.51.100.8-${randomUUID()}`;
        const deviceId = randomUUID();
        const player = randomUUID();
        // 4 cards from the device (and the address): the next new card is the device's 5th
        for (let i = 1; i <= 4; i++) await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + i, { ip, deviceId }));
        const card = randomUUID();
        const refused = await store.evaluate(purchase(player, t0 + 10, { ip, deviceId, cardFingerprint: card }));
        expect(refused.blocked).toBe(true);
        expect(refused.recorded).toBe(false);
        expect(refused.playersOnCard.value).toBe(1);
        expect(refused.cardsOnIp.value).toBe(5);
        expect(refused.cardsOnDevice.value).toBe(5);
        // nothing of the player counted: the refusal was the device's
        expect(refused.purchasesLastMinute.value).toBe(1);
        const paid = await store.evaluate(
          purchase(player, t0 + 11, { ip, deviceId, cardFingerprint: card, cardHasPaid: true }),
        );
        expect(paid.blocked).toBe(false);
        expect(paid.recorded).toBe(true);
        expect(paid.playersOnCard.value).toBe(1);
        expect(paid.cardsOnIp.value).toBe(5);
        expect(paid.cardsOnDevice.value).toBe(5);
        expect(paid.purchasesLastMinute.value).toBe(1);
        const again = await store.evaluate(
          purchase(player, t0 + 12, { ip, deviceId, cardFingerprint: card, cardHasPaid: true }),
        );
        expect(again.purchasesLastMinute.value).toBe(2);
      });

      it('counts distinct cards from one address without ever refusing for them', async () => {
        const ip = `198.51.100.7-${randomUUID()}`;
        for (let i = 1; i <= 30; i++) {
          const added = await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + i, { ip }));
          expect(added.blocked).toBe(false);
          expect(added.cardsOnIp.value).toBe(i);
        }
        const bought = await store.evaluate(purchase(randomUUID(), t0 + 31, { ip, cardFingerprint: randomUUID() }));
        expect(bought.blocked).toBe(false);
        expect(bought.cardsOnIp).toEqual({ value: 31, retryAfterMs: HOUR - 4 });
      });

      it('marks an address hot from 10 points of declined cards in 15 minutes: new cards of players who never paid are refused', async () => {
        const ip = `203.0.113.9-${randomUUID()}`;
        const declineFrom = (nowMs: number, kind: 'bank' | 'incorrect_cvc', card = randomUUID()) =>
          store.recordDecline({
            nowMs,
            playerId: randomUUID(),
            attemptId: randomUUID(),
            kind,
            currency: null,
            ip,
            cardFingerprint: card,
            declinesToBlock: 3,
            declineBlockMs: 4 * HOUR,
          });
        // 4 bank-declined cards and a card declined twice for its CVC (counted once): 9 points
        await declineFrom(t0, 'bank');
        for (let i = 1; i <= 3; i++) await declineFrom(t0 + i * MINUTE, 'bank');
        const mistyped = randomUUID();
        await declineFrom(t0 + 4 * MINUTE, 'incorrect_cvc', mistyped);
        await declineFrom(t0 + 5 * MINUTE, 'incorrect_cvc', mistyped);
        const warm = await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + 6 * MINUTE, { ip }));
        expect(warm.blocked).toBe(false);
        expect(warm.addressDeclinePoints).toEqual({ value: 9, retryAfterMs: 0 });
        await declineFrom(t0 + 7 * MINUTE, 'incorrect_cvc');
        const hot = await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + 8 * MINUTE, { ip }));
        expect(hot.blocked).toBe(true);
        expect(hot.rank).toBeNull();
        // it cools down when the oldest declined card leaves the 15 minutes
        expect(hot.addressDeclinePoints).toEqual({ value: 10, retryAfterMs: 7 * MINUTE });
        // a player who paid before adds a card; nobody's purchase is refused for the address
        expect(
          (await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + 8 * MINUTE, { ip, playerHasPaid: true }))).blocked,
        ).toBe(false);
        expect(
          (await store.evaluate(purchase(randomUUID(), t0 + 8 * MINUTE, { ip, cardFingerprint: randomUUID() })))
            .blocked,
        ).toBe(false);
        expect((await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + 15 * MINUTE, { ip }))).blocked).toBe(false);
      });
    });

    describe('API throttle (GCRA)', () => {
      it('allows a burst of the limit, refuses the next with the interval as retry-after, and refills', async () => {
        const key = randomUUID();
        const check = { key, limit: 5, periodMs: 1000 };
        const outcomes = [];
        for (let i = 0; i < 5; i++) outcomes.push((await store.throttle(t0, [check]))[0]);
        expect(outcomes.map((o) => o?.remaining)).toEqual([4, 3, 2, 1, 0]);
        expect(outcomes.every((o) => o?.allowed)).toBe(true);
        const refused = (await store.throttle(t0, [check]))[0];
        expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 200, resetMs: 1000 });
        expect((await store.throttle(t0 + 199, [check]))[0]?.allowed).toBe(false);
        expect((await store.throttle(t0 + 200, [check]))[0]?.allowed).toBe(true);
      });

      it('counts a request against every subject only when all allow it', async () => {
        const tight = { key: randomUUID(), limit: 1, periodMs: 60_000 };
        const loose = { key: randomUUID(), limit: 3, periodMs: 60_000 };
        await store.throttle(t0, [tight, loose]);
        const refused = await store.throttle(t0, [tight, loose]);
        expect(refused.map((o) => o.allowed)).toEqual([false, false]);
        // the refused request did not use the loose subject's quota
        expect((await store.throttle(t0, [loose]))[0]?.remaining).toBe(1);
      });
    });

    it('rejects a malformed request as a caller bug', async () => {
      await expect(store.evaluate(purchase(randomUUID(), t0, { amountMinor: 1.5 }))).rejects.toThrow(RangeError);
      await expect(
        store.evaluate(purchase(randomUUID(), t0, { limits: { ...purchaseLimits, purchasesPerMinute: 0 } })),
      ).rejects.toThrow(RangeError);
    });
  });
}
