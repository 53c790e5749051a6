import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardFingerprint } from '../../../src/modules/cards/index.js';
import { assessCardAdd, listRiskEvents, recordDecline } from '../../../src/modules/fraud/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { RateLimitedError, RiskBlockedError } from '../../../src/shared/errors.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { contextOf, newPlayer, operator, dropRedisKeys } from './fixtures.js';

/** A Luhn-valid Visa number unique to `seed` (the sandbox approves any valid number it does not list). */
function cardNumber(seed: number): string {
  const body = `424242${String(seed).padStart(9, '0')}`;
  for (let check = 0; check <= 9; check++) {
    const digits = `${body}${check}`;
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return digits;
  }
  throw new Error('unreachable');
}

type Outcome = 'ALLOW' | 'RATE_LIMITED' | 'RISK_BLOCKED';

describe('card testing: 20 different cards tried within a minute', () => {
  const clock = new ManualClock();
  let app: TestApp;
  let seed = Math.floor(Math.random() * 1e8);

  beforeAll(async () => {
    app = await createTestApp({ clock });
  });
  afterAll(async () => {
    await dropRedisKeys(app);
    await app?.close();
  });

  /**
   * What addCard does per attempt: the fraud check first, the acquirer only if it allows, and a
   * decline counted when the acquirer refuses. Returns each attempt's outcome and which attempts
   * reached the acquirer.
   */
  async function attack(
    attempts: { playerId: string; ip: string | null; deviceId: string | null; number: string; expYear?: number }[],
  ) {
    const outcomes: Outcome[] = [];
    const acquirerCalls: number[] = [];
    for (const [i, attempt] of attempts.entries()) {
      const ctx = contextOf(
        app.deps,
        { kind: 'player', playerId: attempt.playerId, sessionId: randomUUID() },
        attempt.ip,
      );
      const fingerprint = cardFingerprint(app.config.secrets.cardFingerprintKey, attempt.number);
      try {
        await assessCardAdd(ctx, {
          playerId: attempt.playerId,
          fingerprint,
          ip: attempt.ip,
          deviceId: attempt.deviceId,
        });
      } catch (error) {
        if (error instanceof RateLimitedError) outcomes.push('RATE_LIMITED');
        else if (error instanceof RiskBlockedError) outcomes.push('RISK_BLOCKED');
        else throw error;
        clock.advance(2_000);
        continue;
      }
      outcomes.push('ALLOW');
      acquirerCalls.push(i);
      const verdict = await app.deps.acquirer.tokenizeCard({
        number: attempt.number,
        expMonth: 12,
        expYear: attempt.expYear ?? 2099,
        cvc: '123',
        holderName: 'Card Tester',
      });
      if (!verdict.ok)
        await recordDecline(ctx, {
          playerId: attempt.playerId,
          declineCode: verdict.declineCode,
          ip: attempt.ip,
          cardFingerprint: fingerprint,
        });
      clock.advance(2_000);
    }
    return { outcomes, acquirerCalls };
  }

  it('from one device and 20 fresh accounts: 4 cards pass, the 5th and every later one are refused before the acquirer', async () => {
    const deviceId = `device-${randomUUID()}`;
    const attempts = await Promise.all(
      Array.from({ length: 20 }, async () => ({
        playerId: await newPlayer(app.deps),
        ip: null,
        deviceId,
        number: cardNumber(++seed),
      })),
    );
    const { outcomes, acquirerCalls } = await attack(attempts);
    expect(outcomes.filter((o) => o === 'ALLOW')).toHaveLength(4);
    expect(outcomes.slice(0, 4)).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'ALLOW']);
    expect(outcomes.slice(4).every((o) => o === 'RATE_LIMITED')).toBe(true);
    expect(acquirerCalls).toEqual([0, 1, 2, 3]);
    const events = await listRiskEvents(
      contextOf(app.deps, operator),
      { playerId: attempts[4]!.playerId },
      { limit: 5, inverted: false },
    );
    expect(events[0]).toMatchObject({
      kind: 'card_add',
      decision: 'BLOCK',
      rulesFired: [{ rule: 'cards_per_device', value: 5, threshold: 5 }],
    });
  });

  it('from one IP and 20 fresh accounts guessing expiry dates: 5 declined cards, then the address refuses new cards', async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const players = await Promise.all(Array.from({ length: 20 }, () => newPlayer(app.deps)));
    // the acquirer declines each (expired_card): what a tester sees while guessing
    const attempts = players.map((playerId) => ({
      playerId,
      ip,
      deviceId: null,
      number: cardNumber(++seed),
      expYear: 2001,
    }));
    const { outcomes, acquirerCalls } = await attack(attempts);
    expect(acquirerCalls).toEqual([0, 1, 2, 3, 4]);
    expect(outcomes.slice(5).every((o) => o === 'RISK_BLOCKED')).toBe(true);
    const events = await listRiskEvents(
      contextOf(app.deps, operator),
      { playerId: attempts[5]!.playerId },
      { limit: 5, inverted: false },
    );
    expect(events[0]).toMatchObject({
      kind: 'card_add',
      decision: 'BLOCK',
      rulesFired: [{ rule: 'address_card_testing', value: 10, threshold: 10 }],
    });
  });

  it('from one IPv6 /64 with a new address per attempt: still one address, refused after 5 declined cards', async () => {
    const hex = () => Math.floor(Math.random() * 0xffff).toString(16);
    const network = `2001:db8:${hex()}:${hex()}`;
    const players = await Promise.all(Array.from({ length: 20 }, () => newPlayer(app.deps)));
    const attempts = players.map((playerId) => ({
      playerId,
      ip: `${network}:${hex()}:${hex()}:${hex()}:${hex()}`, // privacy addresses: any host part of the /64
      deviceId: null,
      number: cardNumber(++seed),
      expYear: 2001,
    }));
    const { outcomes, acquirerCalls } = await attack(attempts);
    expect(acquirerCalls).toEqual([0, 1, 2, 3, 4]);
    expect(outcomes.slice(5).every((o) => o === 'RISK_BLOCKED')).toBe(true);
    // another /64 (another home or phone) is another address, untouched by the first one's declines
    const neighbour = await attack([
      {
        playerId: await newPlayer(app.deps),
        ip: `2001:db8:${hex()}:${hex()}::1`,
        deviceId: null,
        number: cardNumber(++seed),
      },
    ]);
    expect(neighbour.outcomes).toEqual(['ALLOW']);
  });

  it('from one IP, cards that verify are never refused for their number: carrier-grade NAT is many players', async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const players = await Promise.all(Array.from({ length: 20 }, () => newPlayer(app.deps)));
    const { outcomes } = await attack(
      players.map((playerId) => ({ playerId, ip, deviceId: null, number: cardNumber(++seed) })),
    );
    expect(outcomes.every((o) => o === 'ALLOW')).toBe(true);
  });

  it('one account trying declined cards is blocked after its 3rd decline, before the device limit', async () => {
    const playerId = await newPlayer(app.deps);
    const deviceId = `device-${randomUUID()}`;
    // 4000 0000 0000 0002 and friends decline at verification; vary the rest with approved numbers after them
    const numbers = [
      '4000000000000002',
      '4000000000009995',
      '4000000000000069',
      ...Array.from({ length: 17 }, () => cardNumber(++seed)),
    ];
    const { outcomes, acquirerCalls } = await attack(
      numbers.map((number) => ({ playerId, ip: null, deviceId, number })),
    );
    expect(outcomes.slice(0, 3)).toEqual(['ALLOW', 'ALLOW', 'ALLOW']);
    expect(outcomes.slice(3).every((o) => o === 'RISK_BLOCKED')).toBe(true);
    expect(acquirerCalls).toEqual([0, 1, 2]);
  });
});
