import type { CollectorConfig } from './types.ts';

export const defaults: CollectorConfig = {
  host: '0.0.0.0',
  port: 8080,
  dataDir: './data',
  publicUrl: null,
  logLevel: 'info',
  adminToken: null,
  gateway: {
    maxPayload: 1024 * 1024,
    frameRate: 20,
    frameBurst: 200,
    helloTimeout: 10_000,
    pingInterval: 5_000,
    authFailuresPerMinute: 30,
  },
  store: { flushInterval: 100, flushRows: 1000, busyTimeout: 5_000 },
  retention: {
    raw: 48 * 3_600_000,
    minute: 30 * 86_400_000,
    hour: 365 * 86_400_000,
    interval: 60_000,
    chunkRows: 2000,
  },
  api: { metricsPublic: false, authFailuresPerMinute: 30, docs: true },
};

type Kind = 'string' | 'port' | 'int' | 'duration' | 'bool' | 'url' | 'level' | 'secret';

/** How each option is parsed and bounded; the loader walks this table. */
export const optionKinds: Record<string, { kind: Kind; min?: number; max?: number }> = {
  host: { kind: 'string' },
  port: { kind: 'port' },
  dataDir: { kind: 'string' },
  publicUrl: { kind: 'url' },
  logLevel: { kind: 'level' },
  adminToken: { kind: 'secret' },
  'gateway.maxPayload': { kind: 'int', min: 1024, max: 64 * 1024 * 1024 },
  'gateway.frameRate': { kind: 'int', min: 1, max: 100_000 },
  'gateway.frameBurst': { kind: 'int', min: 1, max: 1_000_000 },
  'gateway.helloTimeout': { kind: 'duration', min: 100 },
  'gateway.pingInterval': { kind: 'duration', min: 100 },
  'gateway.authFailuresPerMinute': { kind: 'int', min: 1 },
  'store.flushInterval': { kind: 'duration', min: 1, max: 250 },
  'store.flushRows': { kind: 'int', min: 1, max: 100_000 },
  'store.busyTimeout': { kind: 'duration', min: 0 },
  'retention.raw': { kind: 'duration', min: 60_000 },
  'retention.minute': { kind: 'duration', min: 60_000 },
  'retention.hour': { kind: 'duration', min: 3_600_000 },
  'retention.interval': { kind: 'duration', min: 10 },
  'retention.chunkRows': { kind: 'int', min: 1, max: 1_000_000 },
  'api.metricsPublic': { kind: 'bool' },
  'api.authFailuresPerMinute': { kind: 'int', min: 1 },
  'api.docs': { kind: 'bool' },
};
