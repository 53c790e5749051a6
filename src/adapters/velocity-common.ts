import type { ThrottleCheck, ThrottleOutcome } from '../shared/velocity-port.js';

/**
 * Key names of the velocity store, shared by the Redis store and its in-process twin. Each subject's
 * keys share one Redis Cluster hash tag ({p:…} the player, {c:…} the card, {ip:…} the address,
 * {d:…} the device), so every script call touches a single slot.
 */
export function velocityKeys(prefix: string) {
  if (/[{}]/.test(prefix)) throw new RangeError('the Redis key prefix must not contain { or } (hash tags are ours)');
  const player = (playerId: string) => `${prefix}{p:${playerId}}:`;
  return {
    /** Placeholder in the player's slot for a key an operation does not use (scripts take a fixed key list). */
    none: (playerId: string) => `${player(playerId)}none`,
    purchases: (playerId: string) => `${player(playerId)}pp`,
    amountLog: (playerId: string, currency: string) => `${player(playerId)}amt:${currency}`,
    amounts: (playerId: string, currency: string) => `${player(playerId)}amtv:${currency}`,
    declines: (playerId: string) => `${player(playerId)}dec`,
    cardsOfPlayer: (playerId: string) => `${player(playerId)}pc`,
    cardRanks: (playerId: string) => `${player(playerId)}rank`,
    playersOfCard: (fingerprint: string) => `${prefix}{c:${fingerprint}}:players`,
    cardsOfIp: (ip: string) => `${prefix}{ip:${ip}}:cards`,
    declinesOfIp: (ip: string) => `${prefix}{ip:${ip}}:dec`,
    cardsOfDevice: (deviceId: string) => `${prefix}{d:${deviceId}}:cards`,
  };
}

/** The member a decline is logged under: its weight travels in its first letter (b = bank, c = CVC). */
export function declineMember(kind: 'bank' | 'incorrect_cvc', id: string): string {
  return `${kind === 'incorrect_cvc' ? 'c' : 'b'}:${id}`;
}

/**
 * Rejects a request a caller built wrongly (not a store failure): times and amounts must be safe
 * integers, thresholds and windows positive safe integers.
 */
export function assertVelocityRequest(request: object): void {
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number') {
      const positive =
        path.includes('limits') ||
        path.endsWith('declinesToBlock') ||
        path.endsWith('declineBlockMs') ||
        /\.(limit|periodMs)$/.test(path);
      if (!Number.isSafeInteger(value) || value < 0 || (positive && value <= 0)) {
        throw new RangeError(`${path} must be a ${positive ? 'positive' : 'non-negative'} safe integer, got ${value}`);
      }
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, `${path}.${key}`);
    }
  };
  walk(request, 'request');
}

/** The Redis key of an API rate limit's subject (api-rate-limit.lua and idempotency-begin-throttled.lua alike). */
export function apiRateLimitKey(keyPrefix: string, key: string): string {
  return `${keyPrefix}api:${key}`;
}

/** The outcomes of api-rate-limit.lua's flattened reply (allowed, remaining, reset, retry-after per check). */
export function throttleOutcomes(checks: readonly ThrottleCheck[], reply: readonly number[]): ThrottleOutcome[] {
  return checks.map((check, i) => ({
    allowed: reply[i * 4] === 1,
    limit: check.limit,
    remaining: reply[i * 4 + 1] as number,
    resetMs: reply[i * 4 + 2] as number,
    retryAfterMs: reply[i * 4 + 3] as number,
  }));
}

/** The arguments of api-rate-limit.lua after its keys: now, then limit and period of each check. */
export function throttleArgs(nowMs: number, checks: readonly ThrottleCheck[]): number[] {
  const args = [nowMs];
  for (const check of checks) args.push(check.limit, check.periodMs);
  return args;
}
