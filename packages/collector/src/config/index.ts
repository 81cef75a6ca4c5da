export { defaults } from './defaults.ts';
export { type DeepPartial, envName, type LoadOptions, loadConfig } from './load.ts';
export type { CollectorConfig } from './types.ts';
