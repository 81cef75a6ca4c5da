export { defaults } from './defaults.ts';
export { type DeepPartial, loadConfig } from './load.ts';
export type { CollectorConfig } from './types.ts';
