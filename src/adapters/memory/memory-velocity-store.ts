import type {
  CardAddVelocityResult,
  DeclineState,
  PurchaseVelocityResult,
  SubjectCounters,
  ThrottleOutcome,
  VelocityCounter,
  VelocityStore,
} from '../../shared/velocity-port.js';
import {
  cardAddSubjectBlocks,
  DECLINE_POINTS,
  purchaseSubjectBlocks,
  VELOCITY_WINDOWS,
} from '../../shared/velocity-port.js';
import { assertVelocityRequest, declineMember, velocityKeys } from '../velocity-common.js';
import { createMemoryApiThrottle, type MemoryApiThrottle } from './memory-api-throttle.js';

const { minuteMs, hourMs, dayMs, cardRankRetentionMs, firstDeclineLockMs, addressDeclineMs } = VELOCITY_WINDOWS;
const DECLINE_RETENTION_MS = dayMs + hourMs;
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
 * same logs, edges, thresholds, lock-out replay and retry-afters as scripts/velocity-rules.lua and
 * api-rate-limit.lua, on the caller's clock, and the same order: the card's, address's and device's
 * counters first, then the player's. Each call runs synchronously, so it is as atomic as the scripts.
 */
export function createMemoryVelocityStore(
  options: {
    /** The API rate limits' counters, shared with the in-process idempotency store (begin() with a rate limit). */
    readonly apiThrottle?: MemoryApiThrottle;
  } = {},
): VelocityStore {
  const apiThrottle = options.apiThrottle ?? createMemoryApiThrottle();
  const logs = new Map<string, Log>();
  /** amount of each purchase by attempt id, per amount log key */
  const amounts = new Map<string, Map<string, number>>();
  /** Per player: the rank each card was added with, and the attempt id of its first counted purchase. */
  const ranks = new Map<
    string,
    { values: Map<string, number>; firstCharges: Map<string, string>; expiresAt: number }
  >();
  const weightOf = (member: string) => (member.startsWith('c:') ? DECLINE_POINTS.incorrectCvc : DECLINE_POINTS.bank);
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

  /** The player's decline record, replayed oldest first exactly as decline_state in velocity-rules.lua. */
  function declineState(key: string, now: number, lockAt: number, capMs: number): DeclineState {
    const decl = log(key);
    decl.trim(now - DECLINE_RETENTION_MS);
    const rows = decl.after(Number.NEGATIVE_INFINITY);
    const times: number[] = [];
    const weights: number[] = [];
    const counts: boolean[] = [];
    const locks: number[] = [];
    let lockUntil = 0;
    let since = -1;
    for (const [member, t] of rows) {
      const j = times.length;
      times.push(t);
      weights.push(weightOf(member));
      counts.push(t >= lockUntil);
      if (!counts[j]) continue;
      let points = 0;
      for (let k = 0; k <= j; k++) {
        if (counts[k] && (times[k] as number) > since && (times[k] as number) > t - hourMs)
          points += weights[k] as number;
      }
      if (points >= lockAt) {
        const level = locks.filter((start) => start > t - dayMs).length;
        lockUntil = t + Math.min(firstDeclineLockMs * 3 ** Math.min(level, 20), capMs);
        since = t;
        locks.push(t);
      }
    }
    let recent = 0;
    let points = 0;
    times.forEach((t, j) => {
      if (t <= now - hourMs) return;
      recent += 1;
      if (counts[j] && t > since) points += weights[j] as number;
    });
    return {
      declinesLastHour: recent,
      declinePoints: points,
      lockOuts: locks.filter((start) => start > now - dayMs).length,
      declineBlockUntilMs: lockUntil > now ? lockUntil : null,
    };
  }

  /** The card's, address's and device's counters, touched as the subject calls of the script touch them. */
  function subjects(
    now: number,
    playerId: string,
    fp: string,
    ip: string | null,
    deviceId: string | null,
    limits: {
      playersPerCardBlockAt: number;
      cardsPerIpSignalAt: number;
      cardsPerDeviceBlockAt: number;
      addressDeclinePointsAt: number;
    },
  ): SubjectCounters {
    log(keys.playersOfCard(fp)).trim(now - dayMs);
    const byCard = counter(keys.playersOfCard(fp), playerId, now, dayMs, limits.playersPerCardBlockAt);
    touch(keys.playersOfCard(fp), playerId, now, dayMs);
    let byIp = zero;
    let addressPoints = { value: 0, retry: 0 };
    if (ip) {
      log(keys.cardsOfIp(ip)).trim(now - hourMs);
      byIp = counter(keys.cardsOfIp(ip), fp, now, hourMs, limits.cardsPerIpSignalAt);
      touch(keys.cardsOfIp(ip), fp, now, hourMs);
      const declined = log(keys.declinesOfIp(ip));
      declined.trim(now - addressDeclineMs);
      const rows = declined.after(now - addressDeclineMs);
      const points = rows.reduce((sum, [member]) => sum + weightOf(member), 0);
      let retry = 0;
      if (points >= limits.addressDeclinePointsAt) {
        let left = points;
        for (const [member, score] of rows) {
          left -= weightOf(member);
          if (left < limits.addressDeclinePointsAt) {
            retry = score + addressDeclineMs - now;
            break;
          }
        }
      }
      addressPoints = { value: points, retry };
    }
    let byDevice = zero;
    if (deviceId) {
      log(keys.cardsOfDevice(deviceId)).trim(now - hourMs);
      byDevice = counter(keys.cardsOfDevice(deviceId), fp, now, hourMs, limits.cardsPerDeviceBlockAt);
      touch(keys.cardsOfDevice(deviceId), fp, now, hourMs);
    }
    return {
      playersOnCard: asCounter(byCard),
      cardsOnIp: asCounter(byIp),
      cardsOnDevice: asCounter(byDevice),
      addressDeclinePoints: asCounter(addressPoints),
    };
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

      const lockAt = limits.declinesToBlock * DECLINE_POINTS.bank;
      const fp = request.cardFingerprint;
      const subject = fp
        ? subjects(now, playerId, fp, request.ip, request.deviceId, limits)
        : {
            playersOnCard: asCounter(zero),
            cardsOnIp: asCounter(zero),
            cardsOnDevice: asCounter(zero),
            addressDeclinePoints: asCounter(zero),
          };
      const refused = Object.values(purchaseSubjectBlocks(subject, limits, request.cardHasPaid)).some(Boolean);
      const declines = declineState(keys.declines(playerId), now, lockAt, limits.declineBlockMs);

      let rank: number | null = null;
      let firstCharge = true;
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
        rank = rankOf(playerId, fp, now);
      }

      const blocked = perMinute.over || perHour.over || amountOver || declines.declineBlockUntilMs !== null || refused;
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
        ...declines,
        ...subject,
        cardAddRank: rank,
        firstChargeOnCard: firstCharge,
      };
    },

    async evaluateCardAdd(request): Promise<CardAddVelocityResult> {
      assertVelocityRequest(request);
      const { nowMs: now, playerId, fingerprint: fp, limits } = request;
      sweep(now);
      const subject = subjects(now, playerId, fp, request.ip, request.deviceId, limits);
      const refused = Object.values(cardAddSubjectBlocks(subject, limits, request.playerHasPaid)).some(Boolean);
      const declines = declineState(
        keys.declines(playerId),
        now,
        limits.declinesToBlock * DECLINE_POINTS.bank,
        limits.declineBlockMs,
      );
      const cardsKey = keys.cardsOfPlayer(playerId);
      log(cardsKey).trim(now - dayMs);
      let ofPlayer = counter(cardsKey, fp, now, dayMs, limits.cardsPerPlayerRefuseAt);
      // the same card added again is not a new card
      if (ofPlayer.counted) ofPlayer = { ...ofPlayer, over: false, retry: 0 };

      const blocked = declines.declineBlockUntilMs !== null || ofPlayer.over || refused;
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
        ...subject,
        ...declines,
        rank,
      };
    },

    async recordDecline(request) {
      assertVelocityRequest(request);
      const now = request.nowMs;
      sweep(now);
      const key = keys.declines(request.playerId);
      const decl = log(key);
      const member = declineMember(request.kind, request.attemptId);
      if (!decl.scores.has(member)) decl.scores.set(member, now);
      decl.expiresAt = now + DECLINE_RETENTION_MS;
      if (request.currency) release(keys.amountLog(request.playerId, request.currency), request.attemptId);
      if (request.ip) {
        const declined = log(keys.declinesOfIp(request.ip));
        declined.trim(now - addressDeclineMs);
        declined.scores.set(declineMember(request.kind, request.cardFingerprint ?? request.attemptId), now);
        declined.expiresAt = now + addressDeclineMs;
      }
      return declineState(key, now, request.declinesToBlock * DECLINE_POINTS.bank, request.declineBlockMs);
    },
    async releasePurchase(request) {
      release(keys.amountLog(request.playerId, request.currency), request.attemptId);
    },

    async throttle(nowMs, checks): Promise<ThrottleOutcome[]> {
      return apiThrottle.throttle(nowMs, checks);
    },
  };
}
