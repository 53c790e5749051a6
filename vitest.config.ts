import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One copy of graphql: vite would load index.mjs for src/ while yoga and Pothos load the CommonJS
  // build, and `instanceof GraphQLError` in the error mask would fail across the two.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/chaos/**', 'node_modules/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for a page or a server to react; its 1 s default fails a browser test whenever
    // the machine is busy (a mutation, then a re-render, on 2 shared cores). A wait that never comes
    // still fails, only later.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    maxWorkers: 2,
    // Fails the run when a test was skipped (test/helpers/no-skips-reporter.ts).
    reporters: ['default', './test/helpers/no-skips-reporter.ts'],
  },
});
