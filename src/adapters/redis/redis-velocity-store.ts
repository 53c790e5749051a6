import type {
  CardAddVelocityResult,
  PurchaseVelocityResult,
  ThrottleOutcome,
  VelocityCounter,
  VelocityStore,
} from '../../shared/velocity-port.js';
import { VELOCITY_WINDOWS } from '../../shared/velocity-port.js';
import { redisCall, type RedisClients } from './redis-client.js';
import { assertVelocityRequest, velocityKeys } from '../velocity-common.js';

const { minuteMs, hourMs, dayMs, cardRankRetentionMs, maxDeclineBlockMs } = VELOCITY_WINDOWS;
/** The decline log must cover a window plus the longest block a game may configure. */
const DECLINE_RETENTION_MS = hourMs + maxDeclineBlockMs;

/** A counter from the script's (value, retry) pair; the script says -1 where waiting cannot help. */
function counterOf(value: number, retry: number): VelocityCounter {
  return { value, retryAfterMs: retry < 0 ? null : retry };
}

/**
 * The velocity store in Redis: every call is one EVALSHA of scripts/velocity-rules.lua (or
 * api-rate-limit.lua for throttle), so all counters of a decision are read and written atomically
 * in one round trip. Keys live under `<prefix>v:` (`<prefix>api:` for API limits) and expire when idle.
 *
 * Redis Cluster note: one call touches keys of the player, the card, the IP and the device, which
 * hash to different slots; on a cluster these keys need one hash tag (one shard for fraud).
 */
export function createRedisVelocityStore(
  redis: Pick<RedisClients, 'client' | 'keyPrefix' | 'commandTimeoutMs'>,
): VelocityStore {
  const { client, commandTimeoutMs } = redis;
  const keys = velocityKeys(`${redis.keyPrefix}v:`);
  const run = (keyList: string[], args: (string | number)[]) =>
    redisCall(() => client.velocityRules(keyList, args), commandTimeoutMs);

  return {
    async evaluate(request): Promise<PurchaseVelocityResult> {
      assertVelocityRequest(request);
      const { limits } = request;
      const fp = request.cardFingerprint ?? '';
      const reply = await run(
        [
          keys.purchases(request.playerId),
          keys.amountLog(request.playerId, request.currency),
          keys.amounts(request.playerId, request.currency),
          keys.declines(request.playerId),
          keys.cardRanks(request.playerId),
          fp ? keys.playersOfCard(fp) : keys.none,
          fp && request.ip ? keys.cardsOfIp(request.ip) : keys.none,
          fp && request.deviceId ? keys.cardsOfDevice(request.deviceId) : keys.none,
        ],
        [
          'purchase',
          request.nowMs,
          request.attemptId,
          request.amountMinor,
          request.playerId,
          fp,
          request.ip ? 1 : 0,
          request.deviceId ? 1 : 0,
          limits.purchasesPerMinute,
          limits.purchasesPerHour,
          limits.dailyAmountCap,
          limits.declinesToBlock,
          limits.declineBlockMs,
          limits.playersPerCardBlockAt,
          limits.cardsPerIpBlockAt,
          limits.cardsPerDeviceBlockAt,
          minuteMs,
          hourMs,
          dayMs,
          DECLINE_RETENTION_MS,
          cardRankRetentionMs,
        ],
      );
      const [
        blocked,
        recorded,
        minV,
        minR,
        hourV,
        hourR,
        amountV,
        amountR,
        declines,
        declineUntil,
        fpV,
        fpR,
        ipV,
        ipR,
        devV,
        devR,
        rank,
        first,
      ] = reply as number[] as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      return {
        blocked: blocked === 1,
        recorded: recorded === 1,
        purchasesLastMinute: counterOf(minV, minR),
        purchasesLastHour: counterOf(hourV, hourR),
        amountLastDay: counterOf(amountV, amountR),
        declinesLastHour: declines,
        declineBlockUntilMs: declineUntil > 0 ? declineUntil : null,
        playersOnCard: counterOf(fpV, fpR),
        cardsOnIp: counterOf(ipV, ipR),
        cardsOnDevice: counterOf(devV, devR),
        cardAddRank: rank > 0 ? rank : null,
        firstChargeOnCard: first === 1,
      };
    },

    async evaluateCardAdd(request): Promise<CardAddVelocityResult> {
      assertVelocityRequest(request);
      const { limits } = request;
      const reply = await run(
        [
          keys.cardsOfPlayer(request.playerId),
          keys.cardRanks(request.playerId),
          keys.declines(request.playerId),
          keys.playersOfCard(request.fingerprint),
          request.ip ? keys.cardsOfIp(request.ip) : keys.none,
          request.deviceId ? keys.cardsOfDevice(request.deviceId) : keys.none,
        ],
        [
          'card_add',
          request.nowMs,
          request.playerId,
          request.fingerprint,
          request.ip ? 1 : 0,
          request.deviceId ? 1 : 0,
          limits.cardsPerPlayerRefuseAt,
          limits.playersPerCardBlockAt,
          limits.cardsPerIpBlockAt,
          limits.cardsPerDeviceBlockAt,
          limits.declinesToBlock,
          limits.declineBlockMs,
          hourMs,
          dayMs,
          DECLINE_RETENTION_MS,
          cardRankRetentionMs,
        ],
      );
      const [blocked, pcV, pcR, fpV, fpR, ipV, ipR, devV, devR, declines, declineUntil, rank] = reply as number[] as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      return {
        blocked: blocked === 1,
        cardsOfPlayer: counterOf(pcV, pcR),
        playersOnCard: counterOf(fpV, fpR),
        cardsOnIp: counterOf(ipV, ipR),
        cardsOnDevice: counterOf(devV, devR),
        declinesLastHour: declines,
        declineBlockUntilMs: declineUntil > 0 ? declineUntil : null,
        rank: rank > 0 ? rank : null,
      };
    },

    async recordDecline(request) {
      assertVelocityRequest(request);
      const currency = request.currency;
      const reply = await run(
        [
          keys.declines(request.playerId),
          currency ? keys.amountLog(request.playerId, currency) : keys.none,
          currency ? keys.amounts(request.playerId, currency) : keys.none,
        ],
        [
          'decline',
          request.nowMs,
          request.attemptId,
          currency ? 1 : 0,
          request.declinesToBlock,
          request.declineBlockMs,
          hourMs,
          DECLINE_RETENTION_MS,
        ],
      );
      const [declines, until] = reply as number[] as [number, number];
      return { declinesLastHour: declines, declineBlockUntilMs: until > 0 ? until : null };
    },

    async releasePurchase(request) {
      await run(
        [keys.amountLog(request.playerId, request.currency), keys.amounts(request.playerId, request.currency)],
        ['release', request.attemptId],
      );
    },

    async throttle(nowMs, checks): Promise<ThrottleOutcome[]> {
      if (checks.length === 0) return [];
      const args: number[] = [nowMs];
      for (const check of checks) args.push(check.limit, check.periodMs);
      assertVelocityRequest({ nowMs, checks });
      const reply = (await redisCall(
        () =>
          client.apiRateLimit(
            checks.map((c) => `${redis.keyPrefix}api:${c.key}`),
            args,
          ),
        commandTimeoutMs,
      )) as number[];
      return checks.map((check, i) => ({
        allowed: reply[i * 4] === 1,
        limit: check.limit,
        remaining: reply[i * 4 + 1] as number,
        resetMs: reply[i * 4 + 2] as number,
        retryAfterMs: reply[i * 4 + 3] as number,
      }));
    },
  };
}
