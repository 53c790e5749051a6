import type { ThrottleCheck, ThrottleOutcome } from '../../shared/velocity-port.js';
import { assertVelocityRequest } from '../velocity-common.js';

/** How often (clock ms) idle subjects are swept, like Redis' PX would drop them. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The API rate limits of the in-process store: the GCRA of scripts/gcra.lua (api-rate-limit.lua and
 * idempotency-begin-throttled.lua), on the caller's clock. One instance is shared by the in-process
 * velocity store (VelocityStore.throttle) and the in-process idempotency store (begin() with a rate
 * limit), so that both count a request against the same subjects, as the two Redis scripts do on
 * the same keys. Each call runs synchronously, so it is as atomic as the script.
 */
export interface MemoryApiThrottle {
  throttle(nowMs: number, checks: readonly ThrottleCheck[]): ThrottleOutcome[];
}

export function createMemoryApiThrottle(): MemoryApiThrottle {
  /** Theoretical arrival time of each subject (clock microseconds). */
  const tats = new Map<string, number>();
  let lastSweep = 0;

  function sweep(nowMs: number): void {
    if (nowMs - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = nowMs;
    for (const [key, tat] of tats) if (tat < nowMs * 1000) tats.delete(key);
  }

  return {
    throttle(nowMs, checks) {
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
