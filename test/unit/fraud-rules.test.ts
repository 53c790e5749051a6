// The fraud rules without Redis: the velocity counters of the in-process twin turned into a decision
// by the same functions assessPurchase uses (purchaseRules, decide), and the acquirer's own risk
// flag combined with ours.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.js';
import { purchaseRules, purchaseVelocityLimits } from '../../src/modules/fraud/assess-purchase.js';
import { combineRisk, decide, riskFromAcquirer, RULES } from '../../src/modules/fraud/rules.js';
import { effectiveSettings, parseCurrencyAmounts } from '../../src/modules/fraud/settings.js';
import { UNIT_SETTINGS } from '../helpers/unit-deps.js';

const settings = effectiveSettings(UNIT_SETTINGS, 'game-1', null);

/** assessPurchase's steps after the database: count on the velocity store, then decide. */
async function assess(
  store: ReturnType<typeof createMemoryVelocityStore>,
  nowMs: number,
  request: { playerId: string; amountMinor: number; cardFingerprint?: string | null },
) {
  const input = {
    cardFingerprint: request.cardFingerprint ?? null,
    cardAddedAt: null,
    isFirstChargeOnCard: false,
    amountMinor: request.amountMinor,
    currency: 'USD',
  };
  const velocity = await store.evaluate({
    nowMs,
    playerId: request.playerId,
    attemptId: randomUUID(),
    amountMinor: request.amountMinor,
    currency: 'USD',
    cardFingerprint: input.cardFingerprint,
    cardHasPaid: false,
    ip: null,
    deviceId: null,
    limits: purchaseVelocityLimits(settings, 'USD'),
  });
  const { fired, utilization } = purchaseRules(velocity, settings, input, nowMs, false);
  return decide(fired, utilization);
}

describe('velocity rules on the in-process store', () => {
  it('allows purchases up to the per-minute limit, blocks the next, and lets it through a minute later', async () => {
    const store = createMemoryVelocityStore();
    const start = Date.parse('2026-01-01T00:00:00Z');
    const limit = settings.thresholds.purchasesPerMinute;
    for (let i = 0; i < limit; i++)
      expect((await assess(store, start + i, { playerId: 'p1', amountMinor: 1 })).decision).toBe('ALLOW');
    const blocked = await assess(store, start + limit, { playerId: 'p1', amountMinor: 1 });
    expect(blocked.decision).toBe('BLOCK');
    expect(blocked.rulesFired.map((r) => r.rule)).toContain(RULES.purchasesPerMinute);
    expect(blocked.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(blocked.retryAfterSeconds).toBeLessThanOrEqual(60);
    // another player is not affected
    expect((await assess(store, start + limit, { playerId: 'p2', amountMinor: 1 })).decision).toBe('ALLOW');
    expect((await assess(store, start + 61_000, { playerId: 'p1', amountMinor: 1 })).decision).toBe('ALLOW');
  });

  it('blocks a purchase that would take the player past the daily amount cap of its currency', async () => {
    const store = createMemoryVelocityStore();
    const now = Date.parse('2026-01-01T00:00:00Z');
    const cap = settings.dailyAmountCap('USD');
    expect(cap).toBe(50_000);
    expect((await assess(store, now, { playerId: 'p1', amountMinor: cap })).decision).toBe('ALLOW');
    const over = await assess(store, now + 1, { playerId: 'p1', amountMinor: 1 });
    expect(over.decision).toBe('BLOCK');
    expect(over.rulesFired.map((r) => r.rule)).toEqual([RULES.dailyAmount]);
  });

  it('grades an ALLOW by how close the nearest counter came to its limit', async () => {
    const store = createMemoryVelocityStore();
    const now = Date.parse('2026-01-01T00:00:00Z');
    const first = await assess(store, now, { playerId: 'p1', amountMinor: 1 });
    for (let i = 1; i < settings.thresholds.purchasesPerMinute - 1; i++)
      await assess(store, now + i, { playerId: 'p1', amountMinor: 1 });
    const later = await assess(store, now + 100, { playerId: 'p1', amountMinor: 1 });
    expect(later.decision).toBe('ALLOW');
    expect(later.score).toBeGreaterThan(first.score);
    expect(later.score).toBeLessThanOrEqual(39);
  });
});

describe('decide and combineRisk', () => {
  it('scores a block 80 and up, 100 for an operator block, with no retry when waiting cannot help', () => {
    const operator = decide(
      [{ rule: RULES.playerBlocked, value: 1, threshold: 1, effect: 'BLOCK', retryAfterMs: null }],
      1,
    );
    expect(operator).toMatchObject({ decision: 'BLOCK', score: 100, retryAfterSeconds: null });
    const velocity = decide(
      [{ rule: RULES.purchasesPerHour, value: 61, threshold: 60, effect: 'BLOCK', retryAfterMs: 1_500 }],
      1,
    );
    expect(velocity).toMatchObject({ decision: 'BLOCK', score: 80, retryAfterSeconds: 2 });
  });

  it('steps up between 50 and 79, never blocks, on a STEP_UP rule', () => {
    const stepUp = decide(
      [{ rule: RULES.cardsPerIp, value: 5, threshold: 5, effect: 'STEP_UP', retryAfterMs: null }],
      1,
    );
    expect(stepUp.decision).toBe('STEP_UP');
    expect(stepUp.score).toBeGreaterThanOrEqual(50);
    expect(stepUp.score).toBeLessThanOrEqual(79);
  });

  it("lets the stricter of ours and the acquirer's decision win, keeping every rule once", () => {
    const ours = decide([], 0.5);
    expect(combineRisk(ours, riskFromAcquirer('highest')).decision).toBe('BLOCK');
    const stepped = combineRisk(riskFromAcquirer('elevated'), ours);
    expect(stepped.decision).toBe('STEP_UP');
    expect(stepped.rulesFired.map((r) => r.rule)).toEqual([RULES.acquirerElevatedRisk]);
    expect(combineRisk(ours, riskFromAcquirer('normal')).decision).toBe('ALLOW');
  });
});

describe('platform amounts per currency', () => {
  it('parses CUR:amount lists and refuses a malformed one', () => {
    expect([...parseCurrencyAmounts('USD:50000,EUR:45000')]).toEqual([
      ['USD', 50000],
      ['EUR', 45000],
    ]);
    expect(() => parseCurrencyAmounts('USD:fifty')).toThrow();
  });
});
