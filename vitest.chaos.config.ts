import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the chaos suite alone (CHAOS_SIZE=small|full). It makes its own database beside
// TEST_DATABASE_URL's and its own redis-server, so it needs no global setup and shares nothing with `npm test`.
export default defineConfig({
  // One copy of graphql, as in vitest.config.ts.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    // Fails the run when a test was skipped (test/helpers/no-skips-reporter.ts).
    reporters: ['default', './test/helpers/no-skips-reporter.ts'],
  },
});
