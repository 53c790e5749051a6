// Helpers for the principal cache tests: counting credential lookups in Postgres, asking who a token is.
import { vi } from 'vitest';
import { createLogger, type Logger } from '../../../src/logger.js';
import { graphql } from '../../helpers/graphql.js';
import type { TestApp } from '../../helpers/test-app.js';
import { waitFor } from '../../helpers/processes.js';

/** The prepared statements of authenticate.ts: one runs per lookup that misses the cache. */
export const LOOKUP_STATEMENTS = new Set([
  'accounts_session_by_hash',
  'accounts_game_key_by_hash',
  'accounts_game_authorization_by_hash',
]);

export interface LookupCounter {
  /** Credential lookups that reached Postgres since the counter started. */
  readonly count: number;
  restore(): void;
}

/** Counts the credential lookups an instance sends to Postgres (every other query goes through untouched). */
export function countLookups(app: TestApp): LookupCounter {
  const spy = vi.spyOn(app.database.pool!, 'query');
  return {
    get count() {
      return spy.mock.calls.filter(([config]) =>
        LOOKUP_STATEMENTS.has((config as { name?: string } | undefined)?.name ?? ''),
      ).length;
    },
    restore: () => spy.mockRestore(),
  };
}

const VIEWER_KIND = graphql(`query WhoIs { viewer { kind } }`);
export const LOG_OUT = graphql(`mutation LogOut { logOut }`);

/** viewer.kind for a token, or the error code (UNAUTHENTICATED) when it is refused. */
export async function whoIs(app: TestApp, token: string): Promise<string> {
  const res = await app.gql(VIEWER_KIND, {}, { token });
  if (res.errors?.length) return String(res.errors[0]!.extensions?.code);
  return res.data.viewer.kind;
}

/** Waits until an instance's cache has processed a drop after `generation` (a revocation heard over pub/sub); returns the wait in ms. */
export async function revocationHeard(app: TestApp, generation: number, timeoutMs = 2_000): Promise<number> {
  const started = Date.now();
  await waitFor(
    () => app.deps.principalCache.generation !== generation,
    timeoutMs,
    'a revocation to reach the instance',
    1,
  );
  return Date.now() - started;
}

/** A logger at warn level whose lines the test reads. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = createLogger('warn', { write: (line: string) => void written.push(line) });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
