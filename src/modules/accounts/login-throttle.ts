import { RateLimitedError } from '../../shared/errors.js';
import type { ServiceContext } from '../service-context.js';

const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60_000;

function keys(ctx: ServiceContext, kind: string, email: string): string[] {
  const list = [`login-fail:${kind}:acct:${email}`];
  if (ctx.ip) list.push(`login-fail:${kind}:ip:${ctx.ip}`);
  return list;
}

/** Refuses the attempt, whatever the password, once 5 failures in 15 minutes are counted for the account or the IP. */
export async function assertLoginAllowed(ctx: ServiceContext, kind: string, email: string): Promise<void> {
  const windows = await Promise.all(
    keys(ctx, kind, email).map((key) => ctx.deps.rateLimiter.peek(key, MAX_FAILURES, WINDOW_MS)),
  );
  const blocked = windows.filter((w) => w.count >= MAX_FAILURES);
  if (blocked.length > 0) {
    throw new RateLimitedError(
      Math.max(...blocked.map((w) => w.resetMs)) / 1000,
      'Too many failed sign-in attempts. Try again later.',
      { name: 'login', quota: MAX_FAILURES, windowSeconds: WINDOW_MS / 1000 },
    );
  }
}

export async function recordLoginFailure(ctx: ServiceContext, kind: string, email: string): Promise<void> {
  await Promise.all(keys(ctx, kind, email).map((key) => ctx.deps.rateLimiter.record(key, WINDOW_MS)));
}
