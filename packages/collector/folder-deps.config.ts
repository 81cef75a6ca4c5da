// The folder-dependency check of the collector (src/folder-deps.test.ts, `pnpm run check:shape`):
// the folders of src/ form no cycle, so every folder sits on one side of every other
// (docs/architecture.md).

/** dependency-cruiser options. TypeScript 7 has no compiler API it can use; swc parses instead. */
export const cruiseOptions = {
  parser: 'swc',
  tsPreCompilationDeps: true,
  doNotFollow: { path: 'node_modules' },
  exclude: { path: '\\.test\\.ts$' },
} as const;

/**
 * Folders that own a section of the collector's config and are composed by config/, so they
 * take their section from their caller and never import config/ themselves.
 */
export const BELOW_CONFIG: readonly string[] = [
  'access',
  'charts',
  'fleet',
  'gateway',
  'jobs',
  'live',
  'monitor',
  'notify',
  'remote',
  'security',
  'session',
  'store',
];
