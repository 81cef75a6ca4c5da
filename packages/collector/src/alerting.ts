import type { FastifyBaseLogger } from 'fastify';
import { systemTime, type Time } from './clock.ts';
import type { CollectorConfig } from './config/index.ts';
import type { EventBus } from './events.ts';
import { IncidentCommands } from './monitor/incident-commands.ts';
import type { Notice } from './monitor/incidents.ts';
import { toNotifyEvent } from './monitor/notices.ts';
import { RuleCatalog } from './monitor/rule-catalog.ts';
import { RuleCommands } from './monitor/rule-commands.ts';
import { RuleRepo } from './monitor/rule-repo.ts';
import { Monitor } from './monitor/service.ts';
import type { HostRef } from './monitor/signals.ts';
import { SilenceCommands } from './monitor/silence-commands.ts';
import { buildChannels } from './notify/channels/build.ts';
import type { Channels } from './notify/channels/types.ts';
import { Outbox } from './notify/outbox.ts';
import { collectorTimeZone } from './notify/preferences.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './notify/rate-limit.ts';
import { RecipientCommands } from './notify/recipient-commands.ts';
import { RecipientRepo } from './notify/recipient-repo.ts';
import type { Host } from './store/hosts.ts';
import type { Store } from './store/index.ts';

/** Incident, silence, rule and recipient commands every surface calls. */
export interface MonitorCommands {
  incidents: IncidentCommands;
  silences: SilenceCommands;
  rules: RuleCommands;
  recipients: RecipientCommands;
}

export interface Alerting {
  monitor: Monitor;
  outbox: Outbox;
  channels: Channels;
  /** Per-chat pacing shared by the outbox and the bot's replies. */
  limiter: RateLimiter;
  /** Every rule: built-in, config, API. */
  rules: RuleCatalog;
  commands: MonitorCommands;
  start(): void;
  stop(): Promise<void>;
}

export function hostRef(host: Pick<Host, 'id' | 'name' | 'labels'>): HostRef {
  return { id: host.id, name: host.name, labels: host.labels };
}

/**
 * Wires detection and notification to the event bus: the gateway says what happened, the
 * monitor decides what it means, the outbox tells people.
 */
export function buildAlerting(options: {
  config: Readonly<CollectorConfig>;
  store: Store;
  events: EventBus;
  log: FastifyBaseLogger;
  consoleUrl: () => string;
  /** Actor ids (`user:3`) as the names people read in notifications. */
  personName: (actor: string) => string;
  /** Default the real clock and timers, not keeping the process alive. */
  time?: Time;
}): Alerting {
  const { config, store, events, log } = options;
  const { now, timers } = options.time ?? systemTime;
  const db = store.db;
  // Every host that ever connected, whatever the file says now (see Monitor.start).
  const knownHosts = store.hosts
    .list(0, 100_000)
    .filter((h) => h.status !== 'new')
    .map((h) => ({ host: hostRef(h), intervalMs: h.intervalMs ?? 5_000, lastSeen: h.lastSeen }));

  const channels = buildChannels(config);
  const recipients = new RecipientRepo(db);
  recipients.syncConfig(config.notify.recipients);
  const limiter = new RateLimiter(DEFAULT_RATE_LIMITS);
  const outbox = new Outbox({
    db,
    now,
    timers,
    channels,
    limiter,
    pollIntervalMs: config.notify.pollInterval,
    logger: log,
  });

  // Each host's ephemeral port range from its hello, read when it connects.
  const ephemeral = new Map<number, { low: number; high: number }>();
  // Snapshots arrive thousands of times a second: look hosts up here, not in the database.
  const refs = new Map<number, HostRef>();
  const hosts = (id: number) => {
    let ref = refs.get(id);
    if (!ref) {
      const host = store.hosts.get(id);
      if (!host) return undefined;
      ref = hostRef(host);
      refs.set(id, ref);
    }
    return ref;
  };
  const timeZone = collectorTimeZone(config.telegram.timeZone);
  const render = () => {
    const url = options.consoleUrl();
    return url ? { consoleUrl: url, timeZone } : { timeZone };
  };
  const monitor = new Monitor({
    db,
    now,
    timers,
    config: config.monitor,
    host: hosts,
    notify: (notice: Notice) => {
      const ids = outbox.notifyAll(toNotifyEvent(notice, options.personName), {
        render: render(),
        now: notice.at,
      });
      return ids.length;
    },
    ephemeralPorts: (id) => ephemeral.get(id),
    onError: (err) => log.error({ err }, 'monitor failed'),
  });

  const ruleStore = new RuleRepo(db);
  const rules = new RuleCatalog(config.monitor, ruleStore, (id) => monitor.policy(id));
  const hostMap = () => new Map(store.hosts.list(0, 100_000).map((h) => [h.id, hostRef(h)]));
  const refreshRules = () => monitor.setRules(rules.thresholds(), hostMap());
  const commands: MonitorCommands = {
    incidents: new IncidentCommands({ db, incidents: monitor.incidents, audit: store.audit, now }),
    silences: new SilenceCommands({
      db,
      silences: monitor.silences,
      incidents: monitor.incidents,
      hosts: store.hosts,
      audit: store.audit,
      knownRule: (id) => rules.known(id),
      now,
    }),
    rules: new RuleCommands({
      db,
      store: ruleStore,
      catalog: rules,
      config: config.monitor,
      audit: store.audit,
      refresh: refreshRules,
      now,
    }),
    recipients: new RecipientCommands({ db, recipients, audit: store.audit, outbox, channels, render, now }),
  };

  const unsubscribe = [
    events.on('host.online', (e) => {
      refs.delete(e.hostId);
      const range = store.hosts.get(e.hostId)?.system?.ephemeralPorts;
      if (range) ephemeral.set(e.hostId, range);
      else ephemeral.delete(e.hostId);
      const ref = hosts(e.hostId);
      if (ref) monitor.hostConnected(ref, e.intervalMs, e.agentVersion, e.previousAgentVersion ?? undefined);
    }),
    events.on('host.labels', (e) =>
      refs.set(e.hostId, hostRef({ id: e.hostId, name: e.name, labels: e.labels })),
    ),
    events.on('host.offline', (e) => {
      if (e.reason !== 'deleted')
        // The grace runs from the last sign of life: a cut link may end in a socket error long after.
        monitor.hostDisconnected(e.hostId, e.lastHeardAt);
    }),
    events.on('host.removed', (e) => {
      refs.delete(e.hostId);
      ephemeral.delete(e.hostId);
      monitor.hostRemoved({ id: e.hostId, name: e.name, labels: {} });
    }),
    events.on('snapshot.stored', (e) => {
      const ref = hosts(e.hostId);
      if (!ref) return;
      monitor.snapshot(ref, e.snapshot);
    }),
  ];

  return {
    monitor,
    outbox,
    channels,
    limiter,
    rules,
    commands,
    start() {
      refreshRules();
      monitor.start(knownHosts);
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
