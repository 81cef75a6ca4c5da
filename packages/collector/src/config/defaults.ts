import type { TSchema } from 'typebox';
import { ENROLLMENT_CODE_TTL } from '../fleet/enrollment.ts';
import { MonitorConfigInput, resolveMonitorConfig } from '../monitor/config.ts';
import { RecipientsInput } from '../notify/recipients.ts';
import { QueryInput, RemoteWriteInput } from '../remote/config.ts';
import type { CollectorConfig } from './types.ts';

export const defaults: CollectorConfig = {
  host: '0.0.0.0',
  port: 8080,
  dataDir: './data',
  publicUrl: null,
  logLevel: 'info',
  adminToken: null,
  tls: { cert: null, key: null },
  trustProxy: null,
  install: { dir: null, caFile: null },
  enrollment: { codeTtl: 15 * 60_000, failuresPerMinute: 10 },
  gateway: {
    maxPayload: 1024 * 1024,
    frameRate: 20,
    frameBurst: 200,
    helloTimeout: 10_000,
    pingInterval: 1_000,
    silentAfter: 8_000,
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
  metrics: {
    store: 'sqlite',
    remoteWrite: [],
    query: null,
    queue: { maxBytes: 1024 ** 3, maxAge: 24 * 3_600_000, batch: 500, retryMax: 30_000 },
  },
  api: { metricsPublic: false, authFailuresPerMinute: 30, docs: true },
  access: { rejectCooldown: 24 * 3_600_000 },
  web: { sessionIdle: 30 * 60_000, sessionMax: 12 * 3_600_000, loginFailuresPerMinute: 10 },
  jobs: {
    maxTargets: 1000,
    fourEyes: false,
    confirmTimeout: 5 * 60_000,
    outputCap: 1024 * 1024,
    lostGrace: 60_000,
    defaultTimeout: 5 * 60_000,
    retention: 90 * 86_400_000,
  },
  monitor: resolveMonitorConfig(),
  telegram: {
    token: null,
    apiRoot: null,
    mode: 'polling',
    webhookPath: '/telegram/webhook',
    webhookSecret: null,
    timeZone: null,
    userRate: 30,
  },
  smtp: {
    host: null,
    port: 587,
    secure: false,
    requireTls: true,
    user: null,
    password: null,
    from: null,
    tlsInsecure: false,
  },
  notify: { recipients: [], pollInterval: 1_000 },
};

type Kind =
  | 'choice'
  | 'path'
  | 'zone'
  | 'string'
  | 'proxies'
  | 'port'
  | 'int'
  | 'duration'
  | 'bool'
  | 'url'
  | 'level'
  | 'secret'
  | 'schema';

export interface OptionSpec {
  kind: Kind;
  /** For `choice` options: the allowed values. */
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** For `schema` options: the shape (YAML, or JSON in the env var) and how to resolve it. */
  schema?: TSchema;
  resolve?: (value: never) => unknown;
}

/** How each option is parsed and bounded; the loader walks this table. */
export const optionKinds: Record<string, OptionSpec> = {
  host: { kind: 'string' },
  port: { kind: 'port' },
  dataDir: { kind: 'string' },
  publicUrl: { kind: 'url' },
  logLevel: { kind: 'level' },
  adminToken: { kind: 'secret' },
  'tls.cert': { kind: 'string' },
  'tls.key': { kind: 'string' },
  trustProxy: { kind: 'proxies' },
  'install.dir': { kind: 'string' },
  'install.caFile': { kind: 'string' },
  'enrollment.codeTtl': { kind: 'duration', ...ENROLLMENT_CODE_TTL },
  'enrollment.failuresPerMinute': { kind: 'int', min: 1 },
  'gateway.maxPayload': { kind: 'int', min: 1024, max: 64 * 1024 * 1024 },
  'gateway.frameRate': { kind: 'int', min: 1, max: 100_000 },
  'gateway.frameBurst': { kind: 'int', min: 1, max: 1_000_000 },
  'gateway.helloTimeout': { kind: 'duration', min: 100 },
  'gateway.pingInterval': { kind: 'duration', min: 100 },
  'gateway.silentAfter': { kind: 'duration', min: 1_000 },
  'gateway.authFailuresPerMinute': { kind: 'int', min: 1 },
  'store.flushInterval': { kind: 'duration', min: 1, max: 250 },
  'store.flushRows': { kind: 'int', min: 1, max: 100_000 },
  'store.busyTimeout': { kind: 'duration', min: 0 },
  'retention.raw': { kind: 'duration', min: 60_000 },
  'retention.minute': { kind: 'duration', min: 60_000 },
  'retention.hour': { kind: 'duration', min: 3_600_000 },
  'retention.interval': { kind: 'duration', min: 10 },
  'retention.chunkRows': { kind: 'int', min: 1, max: 1_000_000 },
  'metrics.store': { kind: 'choice', choices: ['sqlite', 'remote'] },
  // Both are checked and their files read by resolveMetricsConfig once the whole config is known.
  'metrics.remoteWrite': { kind: 'schema', schema: RemoteWriteInput },
  'metrics.query': { kind: 'schema', schema: QueryInput },
  'metrics.queue.maxBytes': { kind: 'int', min: 1024 * 1024, max: 1024 ** 4 },
  'metrics.queue.maxAge': { kind: 'duration', min: 60_000, max: 365 * 86_400_000 },
  'metrics.queue.batch': { kind: 'int', min: 1, max: 10_000 },
  'metrics.queue.retryMax': { kind: 'duration', min: 100, max: 3_600_000 },
  'api.metricsPublic': { kind: 'bool' },
  'api.authFailuresPerMinute': { kind: 'int', min: 1 },
  'api.docs': { kind: 'bool' },
  'access.rejectCooldown': { kind: 'duration', min: 0, max: 365 * 86_400_000 },
  'web.sessionIdle': { kind: 'duration', min: 1000, max: 30 * 86_400_000 },
  'web.sessionMax': { kind: 'duration', min: 1000, max: 365 * 86_400_000 },
  'web.loginFailuresPerMinute': { kind: 'int', min: 1, max: 10_000 },
  'jobs.maxTargets': { kind: 'int', min: 1, max: 100_000 },
  'jobs.fourEyes': { kind: 'bool' },
  'jobs.confirmTimeout': { kind: 'duration', min: 100, max: 86_400_000 },
  'jobs.outputCap': { kind: 'int', min: 1024, max: 64 * 1024 * 1024 },
  'jobs.lostGrace': { kind: 'duration', min: 100 },
  'jobs.defaultTimeout': { kind: 'duration', min: 100, max: 24 * 3_600_000 },
  'jobs.retention': { kind: 'duration', min: 3_600_000 },
  monitor: { kind: 'schema', schema: MonitorConfigInput, resolve: resolveMonitorConfig },
  'telegram.token': { kind: 'secret' },
  'telegram.apiRoot': { kind: 'url' },
  'telegram.mode': { kind: 'choice', choices: ['polling', 'webhook', 'off'] },
  'telegram.webhookPath': { kind: 'path' },
  'telegram.webhookSecret': { kind: 'secret' },
  'telegram.timeZone': { kind: 'zone' },
  'telegram.userRate': { kind: 'int', min: 1, max: 10_000 },
  'smtp.host': { kind: 'string' },
  'smtp.port': { kind: 'port' },
  'smtp.secure': { kind: 'bool' },
  'smtp.requireTls': { kind: 'bool' },
  'smtp.user': { kind: 'string' },
  'smtp.password': { kind: 'secret' },
  'smtp.from': { kind: 'string' },
  'smtp.tlsInsecure': { kind: 'bool' },
  'notify.recipients': { kind: 'schema', schema: RecipientsInput },
  'notify.pollInterval': { kind: 'duration', min: 10, max: 60_000 },
};
