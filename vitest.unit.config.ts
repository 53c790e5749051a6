import { defineConfig } from 'vitest/config';

// The fast tier (`npm run test:unit`): pure functions and module verbs on the in-process twins
// (memory stores, ManualClock). No Postgres, no Redis, no build: no global setup, and a test here
// that reaches for either fails (TEST_DATABASE_URL and TEST_REDIS_URL point at closed ports).
export default defineConfig({
  // One copy of graphql, as in vitest.config.ts.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    // Fails the run when a test was skipped (test/helpers/no-skips-reporter.ts).
    reporters: ['default', './test/helpers/no-skips-reporter.ts'],
    env: {
      TEST_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/no_database_in_the_unit_tier',
      TEST_REDIS_URL: 'redis://127.0.0.1:1',
    },
  },
});
