import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A registry of stacks per test file, never the machine's.
    setupFiles: ['test/helpers/state-home.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration tests start real servers; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
