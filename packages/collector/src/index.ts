export { type Principal, type Role, roleAtLeast } from './api/auth.ts';
export type { ApiContext } from './api/context.ts';
export { type BuildOptions, buildApp, type Pantau } from './app.ts';
export { main } from './cli.ts';
export { type CollectorConfig, loadConfig } from './config/index.ts';
export { type CollectorEvents, EventBus, type OfflineReason } from './events.ts';
export { type RunningCollector, startCollector } from './main.ts';
export { type Migration, Store } from './store/index.ts';
