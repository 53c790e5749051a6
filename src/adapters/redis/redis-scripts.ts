import { readFileSync } from 'node:fs';
import { defineScript, type CommandParser } from 'redis';

/** Reads a Lua script that lives beside this file in scripts/. */
function lua(name: string): string {
  return readFileSync(new URL(`./scripts/${name}.lua`, import.meta.url), 'utf8');
}

/** The raw reply of idempotency-begin.lua. */
export type IdempotencyBeginReply = ['acquired'] | ['held', string | null, number];

/** The raw reply of idempotency-begin-throttled.lua: idempotency-begin.lua's, or throttled, each with api-rate-limit.lua's reply last. */
export type IdempotencyBeginThrottledReply =
  | ['throttled', ApiRateLimitReply]
  | ['acquired', ApiRateLimitReply]
  | ['held', string | null, number, ApiRateLimitReply];

/** The raw reply of sliding-window.lua: allowed (0|1), count, retryAfterMs, resetMs. */
export type SlidingWindowReply = [number, number, number, number];

export type SlidingWindowMode = 'consume' | 'peek' | 'record';

/** The raw reply of velocity-rules.lua: integers whose order depends on the operation (see the script). */
export type VelocityRulesReply = number[];

/** The raw reply of api-rate-limit.lua: allowed, remaining, resetMs, retryAfterMs per subject, flattened. */
export type ApiRateLimitReply = number[];

/**
 * Every Lua script of Coinslot, registered on the command client (node-redis `scripts` option:
 * EVALSHA with an EVAL fallback). A new script is one more entry here.
 */
export const redisScripts = {
  idempotencyBegin: defineScript({
    SCRIPT: lua('idempotency-begin'),
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, key: string, runningRecord: string, lockTtlMs: number) {
      parser.pushKey(key);
      parser.push(runningRecord, String(lockTtlMs));
    },
    transformReply: (reply: unknown) => reply as IdempotencyBeginReply,
  }),
  idempotencyBeginThrottled: defineScript({
    SCRIPT: `${lua('gcra')}\n${lua('idempotency-begin-throttled')}`,
    // the number of keys depends on the rate limit's subjects, so parseCommand pushes it
    parseCommand(
      parser: CommandParser,
      key: string,
      runningRecord: string,
      lockTtlMs: number,
      subjects: readonly string[],
      args: readonly (string | number)[],
    ) {
      parser.push(String(1 + subjects.length));
      parser.pushKey(key);
      for (const subject of subjects) parser.pushKey(subject);
      parser.push(runningRecord, String(lockTtlMs), ...args.map(String));
    },
    transformReply: (reply: unknown) => reply as IdempotencyBeginThrottledReply,
  }),
  idempotencyComplete: defineScript({
    SCRIPT: lua('idempotency-complete'),
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, key: string, ownerToken: string, responseJson: string, retentionMs: number) {
      parser.pushKey(key);
      parser.push(ownerToken, responseJson, String(retentionMs));
    },
    transformReply: (reply: unknown) => reply as number,
  }),
  idempotencyRelease: defineScript({
    SCRIPT: lua('idempotency-release'),
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, key: string, ownerToken: string) {
      parser.pushKey(key);
      parser.push(ownerToken);
    },
    transformReply: (reply: unknown) => reply as number,
  }),
  slidingWindow: defineScript({
    SCRIPT: lua('sliding-window'),
    NUMBER_OF_KEYS: 1,
    parseCommand(
      parser: CommandParser,
      key: string,
      mode: SlidingWindowMode,
      nowMs: number,
      windowMs: number,
      limit: number,
      member: string,
    ) {
      parser.pushKey(key);
      parser.push(mode, String(nowMs), String(windowMs), String(nowMs - windowMs), String(limit), member);
    },
    transformReply: (reply: unknown) => reply as SlidingWindowReply,
  }),
  velocityRules: defineScript({
    SCRIPT: lua('velocity-rules'),
    // the number of keys depends on the operation, so parseCommand pushes it
    parseCommand(parser: CommandParser, keys: readonly string[], args: readonly (string | number)[]) {
      parser.push(String(keys.length));
      for (const key of keys) parser.pushKey(key);
      parser.push(...args.map(String));
    },
    transformReply: (reply: unknown) => reply as VelocityRulesReply,
  }),
  apiRateLimit: defineScript({
    // one GCRA for both scripts that count API limits: the function first, then the script's own body
    SCRIPT: `${lua('gcra')}\n${lua('api-rate-limit')}`,
    parseCommand(parser: CommandParser, keys: readonly string[], args: readonly (string | number)[]) {
      parser.push(String(keys.length));
      for (const key of keys) parser.pushKey(key);
      parser.push(...args.map(String));
    },
    transformReply: (reply: unknown) => reply as ApiRateLimitReply,
  }),
};

export type RedisScriptRegistry = typeof redisScripts;
