import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryVelocityStore } from '../../../src/adapters/memory/memory-velocity-store.js';
import { assessCardAdd, assessPurchase, recordDecline } from '../../../src/modules/fraud/index.js';
import type { RiskAssessment } from '../../../src/modules/fraud/rules.js';
import { effectiveSettings } from '../../../src/modules/fraud/settings.js';
import type { Deps, ServiceContext } from '../../../src/modules/service-context.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { RateLimitedError, RiskBlockedError } from '../../../src/shared/errors.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { MINUTE } from './fixtures.js';

/**
 * A risk simulation over simulated time (the injectable clock, set to each event's time): 200 honest players behind
 * one carrier-grade NAT address, each with a card of their own, some mistyping the CVC when adding it
 * and some with a bank decline on a purchase; and card testers with fresh accounts and dozens of
 * cards that the bank mostly declines, interleaved with them:
 *   A. on an address of their own, a new device per account;
 *   B. behind the players' address, on one device;
 *   C. behind the players' address, a new device and a new account for every card (the hard case).
 * It calls the fraud verbs addCard, createPurchase and the decline paths call (assessCardAdd with its
 * database checks, assessPurchase with the purchase's checks given as createPurchase reads them, "has
 * this card paid" being the simulation's record of its charges, and recordDecline), on the in-process
 * twin of the velocity store so that it runs in seconds; the contract suite (velocity-contract.ts)
 * holds the Redis store to the same answers, and shared-address.test.ts replays the case over GraphQL.
 */

const NAT = '100.64.0.1';
const GAME = randomUUID();
const SETTINGS = effectiveSettings({ RISK_DAILY_CAPS: '', RISK_NEW_CARD_AMOUNTS: '' }, GAME, null);

/** A small seeded PRNG (mulberry32), so every run sees the same world. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Figures {
  honestPlayers: number;
  honestPurchases: number;
  honestPurchasesBlocked: number;
  honestStepUps: number;
  honestCardAddsRefused: number;
  honestPlayersWhoBought: number;
  testers: Record<string, { tried: number; reachedAcquirer: number; firstRefusedAt: number | null; charges: number }>;
}

/** The app's dependencies (its database) with a clock of the simulation's and a fresh velocity store. */
function worldDeps(deps: Deps): Deps & { clock: ManualClock } {
  return { ...deps, clock: new ManualClock(0), velocityStore: createMemoryVelocityStore() };
}

/** A refusal the verbs throw, as the decision it stands for. */
function refused(error: unknown): RiskAssessment {
  if (error instanceof RiskBlockedError || error instanceof RateLimitedError) {
    return { decision: 'BLOCK', score: 80, rulesFired: [], retryAfterSeconds: error.retryAfterSeconds ?? null };
  }
  throw error;
}

async function simulate(deps: Deps & { clock: ManualClock }, seed: number): Promise<Figures> {
  const random = prng(seed);
  const at$ = (now: number, ip: string | null): ServiceContext => {
    deps.clock.set(now);
    return { deps, principal: { kind: 'anonymous' }, requestId: randomUUID(), ip };
  };
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const t0 = Date.UTC(2031, 5, 1, 18, 0, 0);
  const queue: { at: number; seq: number; run: (now: number) => Promise<void> }[] = [];
  let seq = 0;
  const at = (when: number, run: (now: number) => Promise<void>) => queue.push({ at: when, seq: seq++, run });

  const figures: Figures = {
    honestPlayers: 200,
    honestPurchases: 0,
    honestPurchasesBlocked: 0,
    honestStepUps: 0,
    honestCardAddsRefused: 0,
    honestPlayersWhoBought: 0,
    testers: {},
  };
  /** Fingerprints of cards with a successful charge (the database's purchases in production). */
  const paidCards = new Set<string>();
  /** Player ids are uuids (risk_events keeps them); a name gives the same id within one world. */
  const ids = new Map<string, string>();
  const idOf = (name: string) => ids.get(name) ?? (ids.set(name, randomUUID()).get(name) as string);

  async function addCard(now: number, playerId: string, fingerprint: string, ip: string, deviceId: string) {
    return assessCardAdd(at$(now, ip), { playerId, fingerprint, ip, deviceId }).catch(refused);
  }
  async function decline(now: number, playerId: string, code: string, ip: string | null, fingerprint: string | null) {
    await recordDecline(at$(now, ip), { playerId, declineCode: code, ip, cardFingerprint: fingerprint });
  }
  async function purchase(
    now: number,
    playerId: string,
    fingerprint: string,
    ip: string,
    deviceId: string,
    amountMinor: number,
    cardAddedAt: number,
  ): Promise<RiskAssessment> {
    return assessPurchase(at$(now, ip), {
      gameId: GAME,
      playerId,
      purchaseId: randomUUID(),
      cardFingerprint: fingerprint,
      cardAddedAt: new Date(cardAddedAt),
      amountMinor,
      currency: 'USD',
      ip,
      deviceId,
      checks: { settings: SETTINGS, blocks: { player: false, card: false }, cardHasPaid: paidCards.has(fingerprint) },
    });
  }

  // Honest players: arrive over two hours, add their card (1 in 8 mistypes the CVC first), then buy
  // 3 to 6 items 5 to 30 minutes apart; 1 in 10 has one purchase declined by the bank.
  for (let p = 0; p < figures.honestPlayers; p++) {
    const playerId = randomUUID();
    const fingerprint = randomUUID();
    const deviceId = `phone-${p}`;
    const mistypes = random() < 1 / 8;
    const declinedPurchase = random() < 1 / 10 ? between(0, 2) : -1;
    const purchases = between(3, 6);
    let bought = false;
    const tryAdd = async (now: number): Promise<void> => {
      if (mistypes) {
        const first = await addCard(now, playerId, fingerprint, NAT, deviceId);
        if (first.decision === 'BLOCK') return refusedAdd(now, first);
        await decline(now, playerId, 'incorrect_cvc', NAT, fingerprint);
        now += 20_000;
      }
      const added = await addCard(now, playerId, fingerprint, NAT, deviceId);
      if (added.decision === 'BLOCK') return refusedAdd(now, added);
      const addedAt = now;
      for (let i = 0; i < purchases; i++) {
        at(now + (i + 1) * between(5, 30) * MINUTE, async (when) => {
          const risk = await purchase(when, playerId, fingerprint, NAT, deviceId, between(99, 1999), addedAt);
          figures.honestPurchases++;
          if (risk.decision === 'BLOCK') {
            figures.honestPurchasesBlocked++;
            console.log(`honest purchase blocked: ${JSON.stringify(risk)}`);
            return;
          }
          if (risk.decision === 'STEP_UP') figures.honestStepUps++; // the player types the CVC and pays
          if (i === declinedPurchase) return decline(when, playerId, 'insufficient_funds', null, null);
          paidCards.add(fingerprint);
          if (!bought) figures.honestPlayersWhoBought++;
          bought = true;
        });
      }
    };
    // a refused card add tells the player when to come back; they do
    const refusedAdd = async (now: number, risk: RiskAssessment) => {
      figures.honestCardAddsRefused++;
      at(now + (risk.retryAfterSeconds ?? 600) * 1000, tryAdd);
    };
    at(t0 + between(0, 120) * MINUTE, tryAdd);
  }

  // Card testers: 60 cards each, one every 5 to 15 seconds; the bank declines 9 in 10; a card that
  // passes is charged 0.50 at once (answering the CVC step-up: the tester typed it when adding).
  const tester = (
    name: string,
    start: number,
    where: (i: number) => { ip: string; deviceId: string; playerId: string },
  ) => {
    const stats = { tried: 0, reachedAcquirer: 0, firstRefusedAt: null as number | null, charges: 0 };
    figures.testers[name] = stats;
    let now = start;
    for (let i = 0; i < 60; i++) {
      now += between(5, 15) * 1000;
      at(now, async (when) => {
        const { ip, deviceId, playerId } = where(i);
        const fingerprint = randomUUID();
        stats.tried++;
        const risk = await addCard(when, playerId, fingerprint, ip, deviceId);
        if (risk.decision === 'BLOCK') {
          stats.firstRefusedAt ??= stats.tried;
          return;
        }
        stats.reachedAcquirer++;
        if (random() < 0.9)
          return decline(when, playerId, random() < 0.7 ? 'do_not_honor' : 'incorrect_cvc', ip, fingerprint);
        const charge = await purchase(when + 1000, playerId, fingerprint, ip, deviceId, 50, when);
        if (charge.decision !== 'BLOCK') stats.charges++;
      });
    }
  };
  const account = (prefix: string, every: number) => (i: number) => idOf(`${prefix}-${Math.floor(i / every)}`);
  const accountA = account('tester-a', 3);
  tester('A: own address, new device per account', t0 + 20 * MINUTE, (i) => ({
    ip: '203.0.113.66',
    deviceId: `a-dev-${Math.floor(i / 3)}`,
    playerId: accountA(i),
  }));
  const accountB = account('tester-b', 3);
  tester('B: players’ address, one device', t0 + 50 * MINUTE, (i) => ({
    ip: NAT,
    deviceId: 'b-emulator',
    playerId: accountB(i),
  }));
  tester('C: players’ address, new device and account per card', t0 + 85 * MINUTE, (i) => ({
    ip: NAT,
    deviceId: `c-dev-${i}`,
    playerId: idOf(`tester-c-${i}`),
  }));

  // run the world in time order (events may schedule later ones)
  while (queue.length > 0) {
    queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
    const next = queue.shift() as (typeof queue)[number];
    await next.run(next.at);
  }
  return figures;
}

function report(name: string, f: Figures): void {
  const lines = [
    `risk simulation (${name}): ${f.honestPlayers} honest players behind ${NAT}, 3 card testers, 60 cards each`,
    `  honest purchases: ${f.honestPurchases}, blocked (false positives): ${f.honestPurchasesBlocked}, asked for the CVC: ${f.honestStepUps}`,
    `  honest players who bought: ${f.honestPlayersWhoBought}; card adds deferred (address under card testing): ${f.honestCardAddsRefused}`,
    ...Object.entries(f.testers).map(
      ([tester, s]) =>
        `  tester ${tester}: stopped at attempt ${s.firstRefusedAt ?? 'never'}; ${s.reachedAcquirer} of ${s.tried} cards reached the acquirer; ${s.charges} charges`,
    ),
  ];
  console.log(lines.join('\n'));
}

function expectHonestUnharmed(f: Figures): void {
  expect(f.honestPurchasesBlocked).toBe(0);
  expect(f.honestPurchases).toBeGreaterThanOrEqual(600);
  expect(f.honestPlayersWhoBought).toBe(f.honestPlayers);
}

function expectTestersStopped(f: Figures): void {
  for (const [name, s] of Object.entries(f.testers)) {
    expect(s.tried, name).toBe(60);
    // stopped within 8 attempts (5 bank-declined cards, more when some are mistyped CVCs or pass),
    // and kept from testing more than a handful of its 60 cards overall
    expect(s.firstRefusedAt, name).not.toBeNull();
    expect(s.firstRefusedAt as number, name).toBeLessThanOrEqual(8);
    expect(s.reachedAcquirer, name).toBeLessThanOrEqual(12);
  }
}

describe('risk simulation: 200 honest players behind one address and 3 card testers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
  });
  afterAll(() => app?.close());

  it('no honest purchase blocked, every tester stopped within 8 attempts', { timeout: 300_000 }, async () => {
    const figures = await simulate(worldDeps(app.deps), 19);
    report('in-process velocity store', figures);
    expectHonestUnharmed(figures);
    expectTestersStopped(figures);
    // the same seed is the same world: the simulation is a reproducible record, not a lucky draw
    expect(await simulate(worldDeps(app.deps), 19)).toEqual(figures);
  });

  it('holds for other worlds too (other seeds)', { timeout: 300_000 }, async () => {
    for (const seed of [7, 2024]) {
      const figures = await simulate(worldDeps(app.deps), seed);
      report(`seed ${seed}`, figures);
      expectHonestUnharmed(figures);
      expectTestersStopped(figures);
    }
  });
});
