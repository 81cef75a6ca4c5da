import { hostname } from 'node:os';
import type { Server as TlsServer } from 'node:tls';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { UserFromGetMe } from 'grammy/types';
import { type Access, buildAccess } from './access/index.ts';
import { PasswordLinks } from './access/password-links.ts';
import { type Alerting, buildAlerting, type MonitorCommands } from './alerting.ts';
import type { ApiContext } from './api/context.ts';
import { frameworkError, installErrorHandling } from './api/errors.ts';
import { installInputGuards } from './api/input-guards.ts';
import { API_PREFIX, apiPlugin } from './api/plugin.ts';
import { every, systemTime, type Time } from './clock.ts';
import type { CollectorConfig } from './config/index.ts';
import { EventBus } from './events.ts';
import { buildFleet, type Fleet } from './fleet/index.ts';
import { installCommand, readInstallCa } from './fleet/install-command.ts';
import { Gateway } from './gateway/gateway.ts';
import { gatewayPlugin } from './gateway/plugin.ts';
import { approvalRequests } from './jobs/approval-requests.ts';
import { buildJobs, type Jobs } from './jobs/index.ts';
import type { ChannelName } from './notify/channels/types.ts';
import { RecipientRepo } from './notify/recipient-repo.ts';
import { RemoteHttp } from './remote/http.ts';
import { RemoteWrite } from './remote/index.ts';
import { PrometheusHistory } from './remote/prom-history.ts';
import { RemoteQueueRepo } from './remote/queue-repo.ts';
import { Sessions } from './session/sessions.ts';
import { type Migration, Store } from './store/index.ts';
import type { BotService } from './telegram/service.ts';
import { readTls } from './tls.ts';
import { consolePlugin } from './web/plugin.ts';

/** The collector's parts, reachable from the app as `app.pantau` (monitor and notify plug in here). */
export interface Pantau {
  /** Clock and timers of every timed part (fake in tests of timed behaviour). */
  time: Time;
  config: Readonly<CollectorConfig>;
  store: Store;
  gateway: Gateway;
  events: EventBus;
  /** Users, tokens, passwords, Telegram registration; token authentication. */
  access: Access;
  /** Host lifecycle: add, rotate or revoke the agent token, labels, remove. */
  fleet: Fleet;
  /** Incident acknowledge and resolve, silences and maintenance, threshold rules. */
  monitor: MonitorCommands;
  /** Detection, incidents and the notification outbox. */
  alerting: Alerting;
  /** Web console sessions (login, cookie and CSRF checks, timeouts). */
  sessions: Sessions;
  /** One-time set-a-password links (the bot sends them; admins make them to reset a password). */
  passwordLinks: PasswordLinks;
  /** Activities and remote jobs. */
  jobs: Jobs;
  /** The remote-write queue and its senders; null without `metrics.remoteWrite` endpoints. */
  remoteWrite: RemoteWrite | null;
  publicUrl(): string;
  /** The one-line agent install for a token or an enrollment code (with the private CA when configured). */
  installCommand(credential: { token: string } | { code: string }): string;
  /** Re-reads the TLS certificate and key (SIGHUP); a bad pair is refused and the old one kept. */
  reloadTls(): void;
  /** The Telegram bot; undefined without a token or with telegram.mode off. */
  bot: BotService | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    pantau: Pantau;
  }
}

export interface BuildOptions {
  /** pino options or an existing logger; default: JSON at config.logLevel. */
  logger?: FastifyServerOptions['logger'];
  /** Migrations contributed by other modules (ids ≥ 100). */
  migrations?: readonly Migration[];
  /** The bot's own user, so it skips getMe (tests and benchmarks against a fake Bot API). */
  telegramBotInfo?: UserFromGetMe;
  /** The built console to serve; default packages/web/dist. */
  consoleDir?: string;
  /**
   * Clock and timers of every module with timed behaviour; default the real ones, not keeping
   * the process alive. Tests pass fake time.
   */
  time?: Time;
  /**
   * Clock and timers of the jobs module alone (deadlines, timeouts); default `time`. Tests of job
   * deadlines move these without holding up the gateway's flushes and heartbeats.
   */
  jobsTime?: Time;
}

/** Builds the whole collector (database, gateway, API) without listening. */
export async function buildApp(
  config: Readonly<CollectorConfig>,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const time = options.time ?? systemTime;
  const tls = config.tls.cert && config.tls.key ? { cert: config.tls.cert, key: config.tls.key } : null;
  const installCa = readInstallCa(config.install.caFile);
  const app = Fastify({
    ...(tls ? { https: readTls(tls) } : {}),
    // X-Forwarded-* only from the configured proxies; from anyone else they are ignored.
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    // On a terminal, pino-pretty makes the lines readable; anywhere else they stay JSON for machines.
    logger: options.logger ?? {
      level: config.logLevel,
      ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : {}),
    },
    // Agents and scrapers make many requests; errors are logged by the error handler instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Browsers keep spare keep-alive sockets and open streams; close them all rather than wait out keep-alive.
    forceCloseConnections: true,
    // Refuse unknown fields instead of silently dropping them; keep defaults and query coercion;
    // verbose: the error handler words a failure by the failing schema's rule (api/errors.ts).
    ajv: {
      customOptions: { removeAdditional: false, useDefaults: true, coerceTypes: 'array', verbose: true },
    },
    frameworkErrors: frameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const query = config.metrics.store === 'remote' ? config.metrics.query : null;
  const queryHttp = query ? new RemoteHttp(query) : null;
  const store = new Store({
    dataDir: config.dataDir,
    busyTimeout: config.store.busyTimeout,
    retention: config.retention,
    metricRows: config.metrics.store === 'sqlite',
    ...(queryHttp ? { metricHistory: (hosts) => new PrometheusHistory(queryHttp, hosts) } : {}),
    migrations: options.migrations ?? [],
  });
  const events = new EventBus((err, event) => app.log.error({ err, event }, 'event listener failed'));
  const remoteWrite =
    config.metrics.remoteWrite.length > 0
      ? new RemoteWrite({ metrics: config.metrics, store, events, log: app.log, time })
      : null;
  // Without endpoints, rows queued for endpoints that were removed from the config go.
  if (!remoteWrite) new RemoteQueueRepo(store.db).syncEndpoints([]);
  const publicUrl = () => {
    if (config.publicUrl) return config.publicUrl;
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = ['0.0.0.0', '::', ''].includes(config.host) ? hostname() : config.host;
    return `${tls ? 'https' : 'http'}://${host}:${port}`;
  };
  const reloadTls = () => {
    if (!tls) return;
    (app.server as unknown as TlsServer).setSecureContext(readTls(tls));
    app.log.info({ cert: tls.cert }, 'TLS certificate reloaded');
  };
  const access = buildAccess({
    db: store.db,
    audit: store.audit,
    events,
    adminToken: config.adminToken,
    rejectCooldown: config.access.rejectCooldown,
    now: time.now,
  });
  // Alerting reads the hosts as this start found them, so it comes before markAllOffline.
  const alerting = buildAlerting({
    config,
    store,
    events,
    log: app.log,
    consoleUrl: () => config.publicUrl ?? '',
    personName: (actor) => access.names.nameOf(actor),
    time,
  });
  store.hosts.markAllOffline(time.now());
  const gateway = new Gateway({
    store,
    events,
    config: config.gateway,
    flush: config.store,
    log: app.log,
    time,
  });
  const fleet = buildFleet({
    store,
    gateway,
    events,
    enrollmentTtl: config.enrollment.codeTtl,
    now: time.now,
  });
  const sessions = new Sessions({
    db: store.db,
    users: access.users,
    audit: store.audit,
    events,
    idleMs: config.web.sessionIdle,
    maxMs: config.web.sessionMax,
    loginFailuresPerMinute: config.web.loginFailuresPerMinute,
    now: time.now,
  });
  const passwordLinks = new PasswordLinks({
    db: store.db,
    users: access.users,
    audit: store.audit,
    baseUrl: () => publicUrl(),
    now: time.now,
  });
  const jobs = buildJobs({
    config: config.jobs,
    chunkRows: config.retention.chunkRows,
    store,
    gateway,
    events,
    log: app.log,
    time: options.jobsTime ?? time,
    nameOf: (actor) => access.names.nameOf(actor),
  });
  const stopApprovalRequests = approvalRequests({
    db: store.db,
    events,
    jobs: jobs.repo,
    users: access.repos.users,
    recipients: new RecipientRepo(store.db),
    channels: () => Object.keys(alerting.channels) as ChannelName[],
    wake: () => alerting.outbox.wake(),
    consoleUrl: () => config.publicUrl ?? '',
    now: time.now,
  });
  const pantau: Pantau = {
    time,
    config,
    store,
    gateway,
    events,
    access,
    fleet,
    monitor: alerting.commands,
    alerting,
    sessions,
    passwordLinks,
    jobs,
    remoteWrite,
    publicUrl,
    installCommand: (credential) => installCommand(publicUrl(), credential, installCa),
    reloadTls,
    bot: undefined,
  };
  app.decorate('pantau', pantau);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Pantau collector API',
        version: '1',
        description:
          'Hosts, metrics, incidents, silences, alert rules, notifications, users, tokens, activities and jobs. Authenticate with `Authorization: Bearer <API token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  installErrorHandling(app);
  installInputGuards(app);
  await app.register(gatewayPlugin, {
    gateway,
    store,
    authFailuresPerMinute: config.gateway.authFailuresPerMinute,
  });
  if (config.api.docs) {
    await app.register(swaggerUi, { routePrefix: `${API_PREFIX}/docs` });
  }
  const ctx: ApiContext = pantau;
  await app.register(apiPlugin, ctx);
  // The bot (grammY, ECharts, resvg) is loaded only when it runs: every collector start and CLI call pays for imports.
  const botWanted = config.telegram.token !== null && config.telegram.mode !== 'off';
  const { setupTelegram } = botWanted ? await import('./telegram/index.ts') : { setupTelegram: undefined };
  pantau.bot = await setupTelegram?.(app, {
    config,
    store,
    alerting,
    access,
    jobs,
    events,
    publicUrl,
    time,
    ...(options.telegramBotInfo === undefined ? {} : { botInfo: options.telegramBotInfo }),
  });
  await app.register(consolePlugin, options.consoleDir === undefined ? {} : { dir: options.consoleDir });

  let stopRetention: (() => void) | null = null;
  app.addHook('onReady', async () => {
    gateway.start();
    alerting.start();
    jobs.start();
    remoteWrite?.start();
    pantau.bot?.start();
    stopRetention = every(time.timers, config.retention.interval, () => {
      store.retention
        .run(time.now())
        .catch((err: unknown) => app.log.error({ err }, 'retention pass failed'));
    });
  });
  // Before the agents are closed: no job timer may fire while the collector goes down.
  app.addHook('preClose', async () => {
    stopApprovalRequests();
    jobs.stop();
  });
  app.addHook('onClose', async () => {
    stopRetention?.();
    await pantau.bot?.stop();
    await store.retention.idle();
    gateway.ingestQueue.flush();
    // After the last flush, which may still queue samples; the sender finishes its request in flight.
    await remoteWrite?.stop();
    await queryHttp?.close();
    jobs.dispatcher.flush();
    await alerting.stop();
    sessions.close();
    store.close();
  });
  return app;
}
