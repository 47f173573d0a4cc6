import { defineConfig } from 'vitest/config';

// Integration tests boot real Deephaven workers (seconds each) and share them per file, so files run one at a
// time on the 2-core CI machine; unit tests are fast either way.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: a worker boots in 15 s on an idle 2-core machine but takes minutes when other runs share it.
    // Tests assert behaviour, never timings, so a limit only has to catch a hang.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
    setupFiles: ['test/setup-env.ts'],
  },
});
