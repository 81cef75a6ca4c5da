import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Browser and serving tests need the built console; a no-op when it is up to date.
    globalSetup: ['./test/support/build-console.ts'],
    // Upper bounds for a loaded 2-core CI machine (image builds run beside the other tests).
    testTimeout: 45_000,
    hookTimeout: 30_000,
    // Tests that spawn agents and collectors are CPU-bound on 2 cores; keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
