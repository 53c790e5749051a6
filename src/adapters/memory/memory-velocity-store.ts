import type {
  CardAddVelocityResult,
  PurchaseVelocityResult,
  ThrottleOutcome,
  VelocityCounter,
  VelocityStore,
} from '../../shared/velocity-port.js';
import { VELOCITY_WINDOWS } from '../../shared/velocity-port.js';
import { assertVelocityRequest, velocityKeys } from '../velocity-common.js';

const { minuteMs, hourMs, dayMs, cardRankRetentionMs, maxDeclineBlockMs } = VELOCITY_WINDOWS;
const DECLINE_RETENTION_MS = hourMs + maxDeclineBlockMs;
/** How often (clock ms) idle logs are swept, like Redis' PEXPIRE would drop them. */
const SWEEP_EVERY_MS = 60_000;

/** A sorted set of members by score (clock ms), like a Redis ZSET; kept until `expiresAt` when idle. */
class Log {
  readonly scores = new Map<string, number>();
  expiresAt = 0;

  trim(cutoff: number): void {
    for (const [member, score] of this.scores) if (score <= cutoff) this.scores.delete(member);
  }
  /** Entries with score > cutoff, oldest first (ties by member, as Redis orders them). */
  after(cutoff: number): [string, number][] {
    return [...this.scores]
      .filter(([, score]) => score > cutoff)
      .sort(([ma, a], [mb, b]) => (a === b ? (ma < mb ? -1 : ma > mb ? 1 : 0) : a - b));
  }
}

interface Counted {
  readonly value: number;
  readonly over: boolean;
  /** -1 where waiting cannot help, as the Lua script says. */
  readonly retry: number;
  readonly counted: boolean;
}

/**
 * The in-process twin of the Redis velocity store (embedded default, single instance only): the
 * same logs, edges, thresholds and retry-afters as scripts/velocity-rules.lua and api-rate-limit.lua,
 * on the caller's clock. Each call runs synchronously, so it is as atomic as the Lua script.
 */
export function createMemoryVelocityStore(): VelocityStore {
  const logs = new Map<string, Log>();
  /** amount of each purchase by attempt id, per amount log key */
  const amounts = new Map<string, Map<string, number>>();
  /** Per player: the rank each card was added with, and the attempt id of its first counted purchase. */
  const ranks = new Map<
    string,
    { values: Map<string, number>; firstCharges: Map<string, string>; expiresAt: number }
  >();
  const tats = new Map<string, number>();
  const keys = velocityKeys('v:');
  let lastSweep = 0;

  function sweep(now: number): void {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    for (const [key, log] of logs) {
      if (log.expiresAt <= now) {
        logs.delete(key);
        amounts.delete(key);
      }
    }
    for (const [key, rank] of ranks) if (rank.expiresAt <= now) ranks.delete(key);
    for (const [key, tat] of tats) if (tat < now * 1000) tats.delete(key);
  }

  function log(key: string): Log {
    let found = logs.get(key);
    if (!found) {
      found = new Log();
      logs.set(key, found);
    }
    return found;
  }

  function counter(key: string, member: string, now: number, window: number, blockFrom: number): Counted {
    const cutoff = now - window;
    const entries = log(key).after(cutoff);
    const counted = entries.some(([m]) => m === member);
    const value = counted ? entries.length : entries.length + 1;
    if (value < blockFrom) return { value, over: false, retry: 0, counted };
    const k = value - blockFrom + 1;
    const others = entries.filter(([m]) => m !== member);
    const hit = others[k - 1];
    return { value, over: true, retry: hit ? hit[1] + window - now : -1, counted };
  }

  function touch(key: string, member: string, now: number, window: number): void {
    const target = log(key);
    target.scores.set(member, now);
    target.expiresAt = now + window;
  }

  function declineState(
    key: string,
    now: number,
    window: number,
    n: number,
    blockMs: number,
  ): { recent: number; until: number } {
    const decl = log(key);
    decl.trim(now - DECLINE_RETENTION_MS);
    const recent = decl.after(now - window).length;
    const times = decl.after(now - window - blockMs).map(([, score]) => score);
    let until = 0;
    for (let i = n - 1; i < times.length; i++) {
      if ((times[i] as number) - (times[i - n + 1] as number) < window)
        until = Math.max(until, (times[i] as number) + blockMs);
    }
    return { recent, until: until > now ? until : 0 };
  }

  function trimmedSum(logKey: string, cutoff: number): number {
    const entries = log(logKey);
    const values = amounts.get(logKey) ?? new Map<string, number>();
    for (const [member, score] of entries.scores) {
      if (score <= cutoff) {
        entries.scores.delete(member);
        values.delete(member);
      }
    }
    if (entries.scores.size === 0) {
      amounts.delete(logKey);
      return 0;
    }
    let sum = 0;
    for (const value of values.values()) sum += value;
    return sum;
  }

  function release(logKey: string, member: string): void {
    amounts.get(logKey)?.delete(member);
    logs.get(logKey)?.scores.delete(member);
  }

  function rankOf(playerId: string, fingerprint: string, now: number): number | null {
    const entry = ranks.get(keys.cardRanks(playerId));
    if (!entry || entry.expiresAt <= now) return null;
    return entry.values.get(fingerprint) ?? null;
  }

  const asCounter = (c: { value: number; retry: number }): VelocityCounter => ({
    value: c.value,
    retryAfterMs: c.retry < 0 ? null : c.retry,
  });
  const zero: Counted = { value: 0, over: false, retry: 0, counted: false };

  return {
    async evaluate(request): Promise<PurchaseVelocityResult> {
      assertVelocityRequest(request);
      const { nowMs: now, playerId, attemptId, amountMinor: amount, limits } = request;
      sweep(now);
      const purchases = keys.purchases(playerId);
      log(purchases).trim(now - hourMs);
      const perMinute = counter(purchases, attemptId, now, minuteMs, limits.purchasesPerMinute + 1);
      const perHour = counter(purchases, attemptId, now, hourMs, limits.purchasesPerHour + 1);

      const amountLog = keys.amountLog(playerId, request.currency);
      const sum = trimmedSum(amountLog, now - dayMs);
      const amountCounted = amounts.get(amountLog)?.has(attemptId) ?? false;
      const amountValue = amountCounted ? sum : sum + amount;
      const amountOver = amountValue > limits.dailyAmountCap;
      let amountRetry = 0;
      if (amountOver) {
        amountRetry = -1;
        if (amount <= limits.dailyAmountCap) {
          let freed = 0;
          for (const [member, score] of log(amountLog).after(now - dayMs)) {
            if (member === attemptId) continue;
            freed += amounts.get(amountLog)?.get(member) ?? 0;
            if (amountValue - freed <= limits.dailyAmountCap) {
              amountRetry = score + dayMs - now;
              break;
            }
          }
        }
      }

      const declines = declineState(
        keys.declines(playerId),
        now,
        hourMs,
        limits.declinesToBlock,
        limits.declineBlockMs,
      );

      let byCard = zero;
      let byIp = zero;
      let byDevice = zero;
      let rank: number | null = null;
      let firstCharge = true;
      const fp = request.cardFingerprint;
      const rankEntry = () => {
        const rankKey = keys.cardRanks(playerId);
        let entry = ranks.get(rankKey);
        if (!entry || entry.expiresAt <= now) {
          entry = { values: new Map(), firstCharges: new Map(), expiresAt: 0 };
          ranks.set(rankKey, entry);
        }
        return entry;
      };
      if (fp) {
        const first = rankEntry().firstCharges.get(fp);
        if (first !== undefined && first !== attemptId) firstCharge = false;
        log(keys.playersOfCard(fp)).trim(now - dayMs);
        byCard = counter(keys.playersOfCard(fp), playerId, now, dayMs, limits.playersPerCardBlockAt);
        if (request.ip) {
          log(keys.cardsOfIp(request.ip)).trim(now - hourMs);
          byIp = counter(keys.cardsOfIp(request.ip), fp, now, hourMs, limits.cardsPerIpBlockAt);
        }
        if (request.deviceId) {
          log(keys.cardsOfDevice(request.deviceId)).trim(now - hourMs);
          byDevice = counter(keys.cardsOfDevice(request.deviceId), fp, now, hourMs, limits.cardsPerDeviceBlockAt);
        }
        rank = rankOf(playerId, fp, now);
        touch(keys.playersOfCard(fp), playerId, now, dayMs);
        if (request.ip) touch(keys.cardsOfIp(request.ip), fp, now, hourMs);
        if (request.deviceId) touch(keys.cardsOfDevice(request.deviceId), fp, now, hourMs);
      }

      const blocked =
        perMinute.over || perHour.over || amountOver || declines.until > 0 || byCard.over || byIp.over || byDevice.over;
      if (!blocked) {
        const purchaseLog = log(purchases);
        if (!perHour.counted) purchaseLog.scores.set(attemptId, now);
        purchaseLog.expiresAt = now + hourMs;
        if (!amountCounted) {
          log(amountLog).scores.set(attemptId, now);
          let values = amounts.get(amountLog);
          if (!values) {
            values = new Map();
            amounts.set(amountLog, values);
          }
          values.set(attemptId, amount);
        }
        log(amountLog).expiresAt = now + dayMs;
        if (fp) {
          const entry = rankEntry();
          if (!entry.firstCharges.has(fp)) entry.firstCharges.set(fp, attemptId);
          entry.expiresAt = now + cardRankRetentionMs;
        }
      }
      return {
        blocked,
        recorded: !blocked,
        purchasesLastMinute: asCounter(perMinute),
        purchasesLastHour: asCounter(perHour),
        amountLastDay: asCounter({ value: amountValue, retry: amountRetry }),
        declinesLastHour: declines.recent,
        declineBlockUntilMs: declines.until > 0 ? declines.until : null,
        playersOnCard: asCounter(byCard),
        cardsOnIp: asCounter(byIp),
        cardsOnDevice: asCounter(byDevice),
        cardAddRank: rank,
        firstChargeOnCard: firstCharge,
      };
    },

    async evaluateCardAdd(request): Promise<CardAddVelocityResult> {
      assertVelocityRequest(request);
      const { nowMs: now, playerId, fingerprint: fp, limits } = request;
      sweep(now);
      const declines = declineState(
        keys.declines(playerId),
        now,
        hourMs,
        limits.declinesToBlock,
        limits.declineBlockMs,
      );
      const cardsKey = keys.cardsOfPlayer(playerId);
      log(cardsKey).trim(now - dayMs);
      log(keys.playersOfCard(fp)).trim(now - dayMs);
      let ofPlayer = counter(cardsKey, fp, now, dayMs, limits.cardsPerPlayerRefuseAt);
      // the same card added again is not a new card
      if (ofPlayer.counted) ofPlayer = { ...ofPlayer, over: false, retry: 0 };
      const byCard = counter(keys.playersOfCard(fp), playerId, now, dayMs, limits.playersPerCardBlockAt);
      let byIp = zero;
      let byDevice = zero;
      if (request.ip) {
        log(keys.cardsOfIp(request.ip)).trim(now - hourMs);
        byIp = counter(keys.cardsOfIp(request.ip), fp, now, hourMs, limits.cardsPerIpBlockAt);
        touch(keys.cardsOfIp(request.ip), fp, now, hourMs);
      }
      if (request.deviceId) {
        log(keys.cardsOfDevice(request.deviceId)).trim(now - hourMs);
        byDevice = counter(keys.cardsOfDevice(request.deviceId), fp, now, hourMs, limits.cardsPerDeviceBlockAt);
        touch(keys.cardsOfDevice(request.deviceId), fp, now, hourMs);
      }
      touch(keys.playersOfCard(fp), playerId, now, dayMs);

      const blocked = declines.until > 0 || ofPlayer.over || byCard.over || byIp.over || byDevice.over;
      let rank: number | null = null;
      if (!blocked) {
        const rankKey = keys.cardRanks(playerId);
        let entry = ranks.get(rankKey);
        if (!entry || entry.expiresAt <= now) {
          entry = { values: new Map(), firstCharges: new Map(), expiresAt: 0 };
          ranks.set(rankKey, entry);
        }
        if (ofPlayer.counted) {
          rank = entry.values.get(fp) ?? ofPlayer.value;
        } else {
          rank = ofPlayer.value;
          entry.values.set(fp, rank);
        }
        entry.expiresAt = now + cardRankRetentionMs;
        touch(cardsKey, fp, now, dayMs);
      }
      return {
        blocked,
        cardsOfPlayer: asCounter(ofPlayer),
        playersOnCard: asCounter(byCard),
        cardsOnIp: asCounter(byIp),
        cardsOnDevice: asCounter(byDevice),
        declinesLastHour: declines.recent,
        declineBlockUntilMs: declines.until > 0 ? declines.until : null,
        rank,
      };
    },

    async recordDecline(request) {
      assertVelocityRequest(request);
      const now = request.nowMs;
      sweep(now);
      const key = keys.declines(request.playerId);
      const decl = log(key);
      if (!decl.scores.has(request.attemptId)) decl.scores.set(request.attemptId, now);
      decl.expiresAt = now + DECLINE_RETENTION_MS;
      if (request.currency) release(keys.amountLog(request.playerId, request.currency), request.attemptId);
      const state = declineState(key, now, hourMs, request.declinesToBlock, request.declineBlockMs);
      return { declinesLastHour: state.recent, declineBlockUntilMs: state.until > 0 ? state.until : null };
    },

    async releasePurchase(request) {
      release(keys.amountLog(request.playerId, request.currency), request.attemptId);
    },

    async throttle(nowMs, checks): Promise<ThrottleOutcome[]> {
      assertVelocityRequest({ nowMs, checks });
      sweep(nowMs);
      const now = nowMs * 1000;
      const plans = checks.map((check) => {
        const period = check.periodMs * 1000;
        const interval = Math.floor(period / check.limit);
        const tat = Math.max(tats.get(`api:${check.key}`) ?? 0, now);
        const newTat = tat + interval;
        const allowAt = newTat - period;
        return {
          check,
          period,
          interval,
          tat,
          newTat,
          allowed: allowAt <= now,
          retry: allowAt > now ? allowAt - now : 0,
        };
      });
      const allAllowed = plans.every((p) => p.allowed);
      return plans.map((plan) => {
        let tat = plan.tat;
        if (allAllowed) {
          tat = plan.newTat;
          tats.set(`api:${plan.check.key}`, tat);
        }
        return {
          allowed: allAllowed,
          limit: plan.check.limit,
          remaining: Math.max(0, Math.floor((plan.period - (tat - now)) / plan.interval)),
          resetMs: Math.ceil((tat - now) / 1000),
          retryAfterMs: Math.ceil(plan.retry / 1000),
        };
      });
    },
  };
}
