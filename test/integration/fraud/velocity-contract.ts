import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  CardAddVelocityLimits,
  CardAddVelocityRequest,
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
  declineBlockMs: HOUR,
  playersPerCardBlockAt: 3,
  cardsPerIpBlockAt: 5,
  cardsPerDeviceBlockAt: 5,
};

export const cardLimits: CardAddVelocityLimits = {
  cardsPerPlayerRefuseAt: 6,
  playersPerCardBlockAt: 3,
  cardsPerIpBlockAt: 5,
  cardsPerDeviceBlockAt: 5,
  declinesToBlock: 3,
  declineBlockMs: HOUR,
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
          currency: 'USD',
          declinesToBlock: 3,
          declineBlockMs: HOUR,
        });
        expect((await store.evaluate(purchase(player, t0 + 3, { amountMinor: 50_000 }))).blocked).toBe(false);
      });
    });

    describe('declines', () => {
      const decline = (playerId: string, nowMs: number) =>
        store.recordDecline({
          nowMs,
          playerId,
          attemptId: randomUUID(),
          currency: null,
          declinesToBlock: 3,
          declineBlockMs: HOUR,
        });

      it('blocks for an hour from the 3rd decline within an hour, not after the 2nd', async () => {
        const player = randomUUID();
        await decline(player, t0);
        expect((await decline(player, t0 + 10 * MINUTE)).declineBlockUntilMs).toBeNull();
        expect((await store.evaluate(purchase(player, t0 + 11 * MINUTE))).blocked).toBe(false);
        const third = await decline(player, t0 + 20 * MINUTE);
        expect(third).toEqual({ declinesLastHour: 3, declineBlockUntilMs: t0 + 20 * MINUTE + HOUR });
        const blocked = await store.evaluate(purchase(player, t0 + 20 * MINUTE + HOUR - 1));
        expect(blocked.blocked).toBe(true);
        expect(blocked.declineBlockUntilMs).toBe(t0 + 20 * MINUTE + HOUR);
        // the declines left the hour long ago, but the block runs for its full hour
        expect((await store.evaluate(purchase(player, t0 + 20 * MINUTE + HOUR))).blocked).toBe(false);
      });

      it('does not block when the 3rd decline comes exactly one hour after the 1st', async () => {
        const player = randomUUID();
        await decline(player, t0);
        await decline(player, t0 + 30 * MINUTE);
        expect((await decline(player, t0 + HOUR)).declineBlockUntilMs).toBeNull();
        const justInside = randomUUID();
        await decline(justInside, t0);
        await decline(justInside, t0 + 30 * MINUTE);
        expect((await decline(justInside, t0 + HOUR - 1)).declineBlockUntilMs).toBe(t0 + 2 * HOUR - 1);
      });

      it('counts a repeated report of the same decline once', async () => {
        const player = randomUUID();
        const request = {
          nowMs: t0,
          playerId: player,
          attemptId: randomUUID(),
          currency: null,
          declinesToBlock: 3,
          declineBlockMs: HOUR,
        };
        await store.recordDecline(request);
        await store.recordDecline(request);
        expect((await store.recordDecline(request)).declinesLastHour).toBe(1);
      });

      it('applies the thresholds of the call: a stricter game blocks after 2', async () => {
        const player = randomUUID();
        await decline(player, t0);
        await decline(player, t0 + 1);
        expect((await store.evaluate(purchase(player, t0 + 2))).blocked).toBe(false);
        const strict = await store.evaluate(
          purchase(player, t0 + 3, { limits: { ...purchaseLimits, declinesToBlock: 2 } }),
        );
        expect(strict.blocked).toBe(true);
        expect(strict.declineBlockUntilMs).toBe(t0 + 1 + HOUR);
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

      it('blocks a card once a 3rd player uses it within 24 hours, at card add and at purchase', async () => {
        const fingerprint = randomUUID();
        const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
        expect((await store.evaluateCardAdd(cardAdd(a, t0, { fingerprint }))).playersOnCard.value).toBe(1);
        expect((await store.evaluate(purchase(b, t0 + HOUR, { cardFingerprint: fingerprint }))).blocked).toBe(false);
        const third = await store.evaluate(purchase(c, t0 + 2 * HOUR, { cardFingerprint: fingerprint }));
        expect(third.blocked).toBe(true);
        expect(third.playersOnCard).toEqual({ value: 3, retryAfterMs: DAY - 2 * HOUR });
        // a's use leaves the day at t0 + DAY: c's next attempt then counts b and c only
        expect(
          (await store.evaluate(purchase(c, t0 + DAY - 1, { cardFingerprint: fingerprint }))).playersOnCard.value,
        ).toBe(3);
        expect(
          (await store.evaluate(purchase(c, t0 + DAY + 1, { cardFingerprint: fingerprint }))).playersOnCard.value,
        ).toBe(2);
      });

      it('blocks the 5th distinct card from one device or IP within an hour; 4 pass', async () => {
        const deviceId = randomUUID();
        const ip = `198.51.100.${Math.floor(Math.random() * 250)}-${randomUUID()}`;
        for (let i = 1; i <= 4; i++) {
          const added = await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + i, { deviceId, ip }));
          expect(added.blocked).toBe(false);
          expect(added.cardsOnDevice.value).toBe(i);
          expect(added.cardsOnIp.value).toBe(i);
        }
        const fifth = await store.evaluateCardAdd(cardAdd(randomUUID(), t0 + 5, { deviceId }));
        expect(fifth.blocked).toBe(true);
        expect(fifth.cardsOnDevice).toEqual({ value: 5, retryAfterMs: HOUR - 4 });
        const byIp = await store.evaluate(purchase(randomUUID(), t0 + 6, { ip, cardFingerprint: randomUUID() }));
        expect(byIp.blocked).toBe(true);
        expect(byIp.cardsOnIp.value).toBe(5);
        // tried cards count even when refused: the device stays blocked while the attack goes on
        expect(
          (await store.evaluate(purchase(randomUUID(), t0 + HOUR + 1, { deviceId, cardFingerprint: randomUUID() })))
            .cardsOnDevice.value,
        ).toBe(5);
        expect(
          (await store.evaluate(purchase(randomUUID(), t0 + HOUR + 6, { deviceId, cardFingerprint: randomUUID() })))
            .cardsOnDevice.value,
        ).toBe(2);
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
