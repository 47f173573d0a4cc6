import { defineConfig } from 'vitest/config';

// Integration tests boot real Deephaven workers (seconds each) and share them per file, so files run one at a
// time on the 2-core CI machine; unit tests are fast either way.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
    setupFiles: ['test/setup-env.ts'],
  },
});
