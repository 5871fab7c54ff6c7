import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files run in parallel workers; each test file makes its own databases.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
