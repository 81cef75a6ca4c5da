import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorConfig } from './config/index.ts';
import type { EventBus } from './events.ts';
import type { Notice } from './monitor/incidents.ts';
import { toNotifyEvent } from './monitor/notices.ts';
import { resolveThresholdRule, type ThresholdRule, type ThresholdRuleInput } from './monitor/rules.ts';
import { Monitor } from './monitor/service.ts';
import type { HostRef } from './monitor/signals.ts';
import { EmailChannel } from './notify/channels/email.ts';
import { TelegramChannel } from './notify/channels/telegram.ts';
import type { Channels } from './notify/channels/types.ts';
import { WebhookChannel } from './notify/channels/webhook.ts';
import { notifyAll } from './notify/fanout.ts';
import { Outbox } from './notify/outbox.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './notify/rate-limit.ts';
import { syncConfigRecipients } from './notify/recipients.ts';
import type { Host } from './store/hosts.ts';
import type { Store } from './store/index.ts';

export interface Alerting {
  monitor: Monitor;
  outbox: Outbox;
  channels: Channels;
  /** Per-chat pacing shared by the outbox and the bot's replies. */
  limiter: RateLimiter;
  /** Threshold rules added through the API (config rules are read-only). */
  apiRules(): ThresholdRuleInput[];
  saveRule(input: ThresholdRuleInput, actor: string): ThresholdRule;
  deleteRule(id: string): boolean;
  start(): void;
  stop(): Promise<void>;
}

export function hostRef(host: Pick<Host, 'id' | 'name' | 'labels'>): HostRef {
  return { id: String(host.id), name: host.name, labels: host.labels };
}

/**
 * Builds detection and notification from config and plugs them into the event bus: the gateway
 * says what happened, the monitor decides what it means, the outbox tells people.
 */
export function buildAlerting(options: {
  config: Readonly<CollectorConfig>;
  store: Store;
  events: EventBus;
  log: FastifyBaseLogger;
  consoleUrl: () => string;
}): Alerting {
  const { config, store, events, log } = options;
  const db = store.db;
  const wasOnline = store.hosts
    .list(0, 100_000)
    .filter((h) => h.status === 'online')
    .map((h) => ({ host: hostRef(h), intervalMs: h.intervalMs ?? 5_000 }));

  const channels: Channels = { webhook: new WebhookChannel() };
  if (config.telegram.token) {
    channels.telegram = new TelegramChannel({
      token: config.telegram.token,
      ...(config.telegram.apiRoot ? { apiRoot: config.telegram.apiRoot } : {}),
    });
  }
  if (config.smtp.host) {
    channels.email = new EmailChannel({
      host: config.smtp.host,
      port: config.smtp.port,
      secure: config.smtp.secure,
      requireTls: config.smtp.requireTls,
      from: config.smtp.from ?? `pantau@${hostname()}`,
      ...(config.smtp.user && config.smtp.password
        ? { auth: { user: config.smtp.user, pass: config.smtp.password } }
        : {}),
      ...(config.smtp.tlsInsecure ? { tls: { rejectUnauthorized: false } } : {}),
    });
  }
  syncConfigRecipients(db, config.notify.recipients);
  const limiter = new RateLimiter(DEFAULT_RATE_LIMITS);
  const outbox = new Outbox({
    db,
    channels,
    limiter,
    pollIntervalMs: config.notify.pollInterval,
    logger: log,
  });

  // Snapshots arrive thousands of times a second: look hosts up here, not in the database.
  const refs = new Map<string, HostRef>();
  const hosts = (id: string) => {
    let ref = refs.get(id);
    if (!ref) {
      const host = store.hosts.get(Number(id));
      if (!host) return undefined;
      ref = hostRef(host);
      refs.set(id, ref);
    }
    return ref;
  };
  const render = () => {
    const url = options.consoleUrl();
    return url ? { consoleUrl: url } : {};
  };
  const configured = Object.keys(channels) as (keyof Channels)[];
  const monitor = new Monitor({
    db,
    config: config.monitor,
    host: hosts,
    notify: (notice: Notice) => {
      notifyAll(db, toNotifyEvent(notice), { render: render(), channels: configured, now: notice.at });
      outbox.wake();
    },
    onError: (err) => log.error({ err }, 'monitor failed'),
  });

  const listRules = db.prepare<[], { definition: string }>('SELECT definition FROM alert_rules ORDER BY id');
  const apiRules = () => listRules.all().map((r) => JSON.parse(r.definition) as ThresholdRuleInput);
  const allRules = () => [
    ...config.monitor.thresholds,
    ...apiRules().map((r) => resolveThresholdRule(r, config.monitor.policy)),
  ];
  const hostMap = () => new Map(store.hosts.list(0, 100_000).map((h) => [String(h.id), hostRef(h)]));
  const refreshRules = () => monitor.setRules(allRules(), hostMap());

  const unsubscribe = [
    events.on('host.online', (e) => {
      refs.delete(String(e.hostId));
      const ref = hosts(String(e.hostId));
      if (ref) monitor.hostConnected(ref, e.intervalMs, e.agentVersion, e.previousAgentVersion ?? undefined);
    }),
    events.on('host.labels', (e) =>
      refs.set(String(e.hostId), hostRef({ id: e.hostId, name: e.name, labels: e.labels })),
    ),
    events.on('host.offline', (e) => {
      if (e.reason !== 'deleted') monitor.hostDisconnected(String(e.hostId));
    }),
    events.on('host.removed', (e) => {
      refs.delete(String(e.hostId));
      monitor.hostRemoved({ id: String(e.hostId), name: e.name, labels: {} });
    }),
    events.on('snapshot.stored', (e) => {
      const ref = hosts(String(e.hostId));
      if (!ref) return;
      monitor.snapshot(ref, e.snapshot);
    }),
  ];

  return {
    monitor,
    outbox,
    channels,
    limiter,
    apiRules,
    saveRule(input, actor) {
      const rule = resolveThresholdRule(input, config.monitor.policy);
      db.prepare(
        `INSERT INTO alert_rules (id, definition, created_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
      ).run(input.id, JSON.stringify(input), actor, Date.now());
      refreshRules();
      return rule;
    },
    deleteRule(id) {
      const removed = db.prepare('DELETE FROM alert_rules WHERE id = ?').run(id).changes > 0;
      if (removed) refreshRules();
      return removed;
    },
    start() {
      refreshRules();
      monitor.start(wasOnline);
      outbox.start();
    },
    async stop() {
      for (const off of unsubscribe) off();
      monitor.stop();
      await outbox.stop();
      await Promise.all(Object.values(channels).map((c) => c?.close?.()));
    },
  };
}
