import type {
  CardAddVelocityResult,
  DeclineState,
  PurchaseVelocityResult,
  SubjectCounters,
  ThrottleCheck,
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
import { redisCall, type RedisClients } from './redis-client.js';
import {
  apiRateLimitKey,
  assertVelocityRequest,
  declineMember,
  throttleArgs,
  throttleOutcomes,
  velocityKeys,
} from '../velocity-common.js';

const { minuteMs, hourMs, dayMs, cardRankRetentionMs, firstDeclineLockMs, addressDeclineMs } = VELOCITY_WINDOWS;
/** The decline log must cover the 24 hours that grade a lock-out, plus the hour of points before them. */
export const DECLINE_RETENTION_MS = dayMs + hourMs;

/** A counter from the script's (value, retry) pair; the script says -1 where waiting cannot help. */
function counterOf(value: number, retry: number): VelocityCounter {
  return { value, retryAfterMs: retry < 0 ? null : retry };
}

const NO_COUNTER: VelocityCounter = { value: 0, retryAfterMs: 0 };

/** One call of velocity-rules.lua: its keys and its arguments (the first is the operation). */
interface ScriptCall {
  readonly keys: string[];
  readonly args: (string | number)[];
}

/** The decline record from the script's (declines, points, lock-outs, until) reply. */
function declineStateOf(reply: number[], at: number): DeclineState {
  const [declines, points, lockOuts, until] = reply.slice(at, at + 4) as [number, number, number, number];
  return {
    declinesLastHour: declines,
    declinePoints: points,
    lockOuts,
    declineBlockUntilMs: until > 0 ? until : null,
  };
}

/**
 * The velocity store in Redis: every call is EVALSHA of scripts/velocity-rules.lua (api-rate-limit.lua
 * for throttle). A decision reads the card's, the address's and the device's counters in calls of
 * their own, pipelined (one round trip; on Redis Cluster they go to their nodes in parallel), then
 * the player's counters in one atomic call that is told whether a subject refused. Each call touches
 * one hash tag only, so it works unchanged on Redis Cluster. Keys live under `<prefix>v:`
 * (`<prefix>api:` for API limits) and expire when idle.
 */
export function createRedisVelocityStore(
  redis: Pick<RedisClients, 'client' | 'keyPrefix' | 'commandTimeoutMs' | 'cluster'>,
): VelocityStore {
  const { client, commandTimeoutMs } = redis;
  const keys = velocityKeys(`${redis.keyPrefix}v:`);
  const run = (keyList: string[], args: (string | number)[]) =>
    redisCall(() => client.velocityRules(keyList, args), commandTimeoutMs) as Promise<number[]>;

  /** The card's, address's and device's calls (each touches its counters: tried cards are evidence). */
  function subjectCalls(
    nowMs: number,
    playerId: string,
    fingerprint: string,
    ip: string | null,
    deviceId: string | null,
    limits: {
      playersPerCardBlockAt: number;
      cardsPerIpSignalAt: number;
      cardsPerDeviceBlockAt: number;
      addressDeclinePointsAt: number;
    },
  ): { card: ScriptCall; address: ScriptCall | null; device: ScriptCall | null } {
    return {
      card: {
        keys: [keys.playersOfCard(fingerprint)],
        args: ['card_players', nowMs, playerId, limits.playersPerCardBlockAt, dayMs],
      },
      address: ip
        ? {
            keys: [keys.cardsOfIp(ip), keys.declinesOfIp(ip)],
            args: [
              'address',
              nowMs,
              fingerprint,
              limits.cardsPerIpSignalAt,
              limits.addressDeclinePointsAt,
              hourMs,
              addressDeclineMs,
            ],
          }
        : null,
      device: deviceId
        ? {
            keys: [keys.cardsOfDevice(deviceId)],
            args: ['device', nowMs, fingerprint, limits.cardsPerDeviceBlockAt, hourMs],
          }
        : null,
    };
  }

  /** The subjects' counters from their calls' replies (null: the subject was not given). */
  function subjectCounters(card: number[], address: number[] | null, device: number[] | null): SubjectCounters {
    return {
      playersOnCard: counterOf(card[0] as number, card[1] as number),
      cardsOnIp: address ? counterOf(address[0] as number, address[1] as number) : NO_COUNTER,
      addressDeclinePoints: address ? counterOf(address[2] as number, address[3] as number) : NO_COUNTER,
      cardsOnDevice: device ? counterOf(device[0] as number, device[1] as number) : NO_COUNTER,
    };
  }

  /** The subjects' calls, pipelined (one round trip; on Redis Cluster they go to their nodes in parallel). */
  async function subjects(...args: Parameters<typeof subjectCalls>): Promise<SubjectCounters> {
    const calls = subjectCalls(...args);
    const [card, address, device] = await Promise.all([
      run(calls.card.keys, calls.card.args),
      calls.address ? run(calls.address.keys, calls.address.args) : null,
      calls.device ? run(calls.device.keys, calls.device.args) : null,
    ]);
    return subjectCounters(card, address, device);
  }

  /**
   * Several calls as one (velocity-rules.lua `batch`): a single Redis only, where keys of several
   * subjects may meet in one script. Returns each call's reply.
   */
  async function batch(calls: readonly ScriptCall[]): Promise<number[][]> {
    const keyList: string[] = [];
    const args: (string | number)[] = ['batch', calls.length];
    for (const call of calls) {
      keyList.push(...call.keys);
      args.push(call.args[0] as string, call.keys.length, call.args.length - 1, ...call.args.slice(1));
    }
    return (await run(keyList, args)) as unknown as number[][];
  }

  return {
    async evaluate(request): Promise<PurchaseVelocityResult> {
      assertVelocityRequest(request);
      const { limits, playerId } = request;
      const fp = request.cardFingerprint ?? '';
      const purchase = (refused: 0 | 1 | 'subjects'): ScriptCall => ({
        keys: [
          keys.purchases(playerId),
          keys.amountLog(playerId, request.currency),
          keys.amounts(playerId, request.currency),
          keys.declines(playerId),
          keys.cardRanks(playerId),
        ],
        args: [
          'purchase',
          request.nowMs,
          request.attemptId,
          request.amountMinor,
          fp,
          refused,
          limits.purchasesPerMinute,
          limits.purchasesPerHour,
          limits.dailyAmountCap,
          limits.declinesToBlock * DECLINE_POINTS.bank,
          limits.declineBlockMs,
          firstDeclineLockMs,
          minuteMs,
          hourMs,
          dayMs,
          DECLINE_RETENTION_MS,
          cardRankRetentionMs,
        ],
      });
      let subject: SubjectCounters;
      let reply: number[];
      if (!fp) {
        subject = {
          playersOnCard: NO_COUNTER,
          cardsOnIp: NO_COUNTER,
          cardsOnDevice: NO_COUNTER,
          addressDeclinePoints: NO_COUNTER,
        };
        const call = purchase(0);
        reply = await run(call.keys, call.args);
      } else if (!redis.cluster) {
        // one round trip: the script decides the subjects' refusal as purchaseSubjectBlocks does
        const calls = subjectCalls(request.nowMs, playerId, fp, request.ip, request.deviceId, limits);
        const replies = await batch([
          calls.card,
          ...(calls.address ? [calls.address] : []),
          ...(calls.device ? [calls.device] : []),
          purchase(request.cardHasPaid ? 0 : 'subjects'),
        ]);
        let i = 1;
        const address = calls.address ? (replies[i++] as number[]) : null;
        const device = calls.device ? (replies[i++] as number[]) : null;
        subject = subjectCounters(replies[0] as number[], address, device);
        reply = replies[i] as number[];
      } else {
        // the subjects' keys live in other slots than the player's: their calls first, then the player's
        subject = await subjects(request.nowMs, playerId, fp, request.ip, request.deviceId, limits);
        const refused = Object.values(purchaseSubjectBlocks(subject, limits, request.cardHasPaid)).some(Boolean);
        const call = purchase(refused ? 1 : 0);
        reply = await run(call.keys, call.args);
      }
      const [blocked, recorded, minV, minR, hourV, hourR, amountV, amountR] = reply as number[];
      const [rank, first] = reply.slice(12) as [number, number];
      return {
        blocked: blocked === 1,
        recorded: recorded === 1,
        purchasesLastMinute: counterOf(minV as number, minR as number),
        purchasesLastHour: counterOf(hourV as number, hourR as number),
        amountLastDay: counterOf(amountV as number, amountR as number),
        ...declineStateOf(reply, 8),
        ...subject,
        cardAddRank: rank > 0 ? rank : null,
        firstChargeOnCard: first === 1,
      };
    },

    async evaluateCardAdd(request): Promise<CardAddVelocityResult> {
      assertVelocityRequest(request);
      const { limits, playerId, fingerprint } = request;
      const subject = await subjects(request.nowMs, playerId, fingerprint, request.ip, request.deviceId, limits);
      const refused = Object.values(cardAddSubjectBlocks(subject, limits, request.playerHasPaid)).some(Boolean);
      const reply = await run(
        [keys.cardsOfPlayer(playerId), keys.cardRanks(playerId), keys.declines(playerId)],
        [
          'card_add',
          request.nowMs,
          fingerprint,
          refused ? 1 : 0,
          limits.cardsPerPlayerRefuseAt,
          limits.declinesToBlock * DECLINE_POINTS.bank,
          limits.declineBlockMs,
          firstDeclineLockMs,
          hourMs,
          dayMs,
          DECLINE_RETENTION_MS,
          cardRankRetentionMs,
        ],
      );
      const [blocked, pcV, pcR] = reply as [number, number, number];
      const rank = reply[7] as number;
      return {
        blocked: blocked === 1,
        cardsOfPlayer: counterOf(pcV, pcR),
        ...subject,
        ...declineStateOf(reply, 3),
        rank: rank > 0 ? rank : null,
      };
    },

    async recordDecline(request) {
      assertVelocityRequest(request);
      const { currency, playerId } = request;
      const [reply] = await Promise.all([
        run(
          [
            keys.declines(playerId),
            currency ? keys.amountLog(playerId, currency) : keys.none(playerId),
            currency ? keys.amounts(playerId, currency) : keys.none(playerId),
          ],
          [
            'decline',
            request.nowMs,
            declineMember(request.kind, request.attemptId),
            request.attemptId,
            currency ? 1 : 0,
            request.declinesToBlock * DECLINE_POINTS.bank,
            request.declineBlockMs,
            firstDeclineLockMs,
            hourMs,
            dayMs,
            DECLINE_RETENTION_MS,
          ],
        ),
        request.ip
          ? run(
              [keys.declinesOfIp(request.ip)],
              [
                'address_decline',
                request.nowMs,
                declineMember(request.kind, request.cardFingerprint ?? request.attemptId),
                addressDeclineMs,
              ],
            )
          : null,
      ]);
      return declineStateOf(reply, 0);
    },

    async releasePurchase(request) {
      await run(
        [keys.amountLog(request.playerId, request.currency), keys.amounts(request.playerId, request.currency)],
        ['release', request.attemptId],
      );
    },

    async throttle(nowMs, checks): Promise<ThrottleOutcome[]> {
      if (checks.length === 0) return [];
      assertVelocityRequest({ nowMs, checks });
      const call = (subset: readonly ThrottleCheck[], peek: boolean) => {
        const args: (number | string)[] = throttleArgs(nowMs, subset);
        if (peek) args.push('peek');
        return redisCall(
          () =>
            client.apiRateLimit(
              subset.map((c) => apiRateLimitKey(redis.keyPrefix, c.key)),
              args,
            ),
          commandTimeoutMs,
        ) as Promise<number[]>;
      };
      let reply: number[];
      if (!redis.cluster || checks.length === 1) {
        reply = await call(checks, false);
      } else {
        // the subjects' keys live in different slots: look at each (pipelined), count only if all allow;
        // two requests racing between the two steps may both pass (an API limit, not money)
        const peeked = (await Promise.all(checks.map((check) => call([check], true)))).flat();
        const allAllowed = checks.every((_, i) => peeked[i * 4] === 1);
        if (allAllowed) {
          reply = (await Promise.all(checks.map((check) => call([check], false)))).flat();
        } else {
          reply = peeked.map((value, i) => (i % 4 === 0 ? 0 : value));
        }
      }
      return throttleOutcomes(checks, reply);
    },
  };
}
