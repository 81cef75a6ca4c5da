import { defineConfig } from 'vitest/config';

/** Tests that build images and run containers on the Docker engine: heavy on both cores. */
const ENGINE = [
  'test/images.test.ts',
  'test/compose-demo.test.ts',
  'test/container-*.test.ts',
  'test/containers.test.ts',
];

/** The code's shape: folder dependencies and SQL placement (`pnpm run check:shape`, before the unit tests). */
const SHAPE = ['packages/collector/src/folder-deps.test.ts', 'test/code-shape.test.ts'];

export default defineConfig({
  test: {
    // Browser and serving tests need the built console; a no-op when it is up to date.
    globalSetup: ['./test/support/build-console.ts'],
    // Upper bounds for a loaded 2-core CI machine.
    testTimeout: 45_000,
    hookTimeout: 30_000,
    // Tests that spawn agents and collectors are CPU-bound on 2 cores; keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...ENGINE, ...SHAPE],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'shape', include: SHAPE, sequence: { groupOrder: 0 } } },
      {
        // After the rest, one file at a time: image builds beside browser and e2e tests made
        // those miss their time bounds on 2 cores.
        extends: true,
        test: { name: 'engine', include: ENGINE, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
