import type { Snapshot } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { type Clock, every, systemClock, type Timers, unrefTimers } from '../clock.ts';
import { reports } from './change-rules.ts';
import { Changes } from './changes.ts';
import { CheckStreaks } from './checks.ts';
import type { MonitorConfig } from './config.ts';
import { ContainerWatch } from './containers.ts';
import { IncidentManager, type Notice } from './incidents.ts';
import { HostLiveness, hostDownKey } from './liveness.ts';
import type { NotifyPolicy } from './policy.ts';
import type { ThresholdRule } from './rules.ts';
import type { HostRef, Signal } from './signals.ts';
import { Silences } from './silences.ts';
import { Thresholds } from './thresholds.ts';

export interface MonitorOptions {
  db: Database;
  config: MonitorConfig;
  /** Looks a host up by id (name and labels, for messages and selectors). */
  host(id: number): HostRef | undefined;
  /** Hands a notice to the notification outbox; called inside the incident's transaction. */
  /** Returns how many messages went to the outbox (0: nobody to tell). */
  notify(notice: Notice): number;
  /** The host's ephemeral port range as its agent sent it (new ports in it are not news). */
  ephemeralPorts?(hostId: number): { low: number; high: number } | undefined;
  now?: Clock;
  /** Timers of the deadline check. Default the global ones, not keeping the process alive. */
  timers?: Timers;
  /** How often deadlines (grace, silence, reminders) are checked, ms. Default 250. */
  tickMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Detection and incidents in one place: the gateway tells it about connections and stored
 * snapshots, it tells the incident manager what started and what ended.
 */
export class Monitor {
  readonly incidents: IncidentManager;
  readonly silences: Silences;
  readonly #o: MonitorOptions;
  readonly #now: () => number;
  readonly #liveness: HostLiveness;
  readonly #checks: CheckStreaks;
  readonly #thresholds: Thresholds;
  readonly #changes: Changes;
  readonly #containers: ContainerWatch;
  readonly #intervals = new Map<number, number>();
  #rules: readonly ThresholdRule[];
  #stopTicks: (() => void) | undefined;

  constructor(options: MonitorOptions) {
    this.#o = options;
    this.#now = options.now ?? systemClock;
    const { config } = options;
    this.#liveness = new HostLiveness({ graceMs: config.graceMs, silentIntervals: config.silentIntervals });
    this.#checks = new CheckStreaks(config.checkFailures);
    this.#rules = config.thresholds;
    this.#thresholds = new Thresholds(this.#rules);
    this.#changes = new Changes({
      rules: config.changes,
      ephemeralPorts: (id) => options.ephemeralPorts?.(id),
    });
    this.#containers = new ContainerWatch(config.containers);
    this.silences = new Silences(options.db);
    this.incidents = new IncidentManager({
      db: options.db,
      silences: this.silences,
      host: options.host,
      policy: (ruleId) => this.policy(ruleId),
      notify: options.notify,
    });
  }

  /**
   * Resumes after a (re)start: open problems stay open with their detectors primed, and every
   * other host that ever connected gets `startupGrace` to reconnect before it counts as down. A
   * host marked offline is no exception: an earlier start, or a disconnect, may have been cut
   * short before its grace ran out. Only a host whose last host-down incident someone resolved
   * by hand after it was last heard from stays quiet (they said it is dealt with).
   */
  start(knownHosts: readonly { host: HostRef; intervalMs: number; lastSeen: number | null }[]): void {
    const now = this.#now();
    const open = this.incidents.unresolved();
    const downHosts = new Set(open.filter((i) => i.kind === 'host_down').map((i) => i.hostId));
    for (const incident of open) {
      if (incident.kind === 'service_down') this.#checks.resume(incident.key, incident.openedAt);
      if (incident.kind === 'threshold') this.#thresholds.resume(incident.key, incident.openedAt);
      if (incident.kind === 'container') this.#containers.resume(incident.key, incident.hostId);
    }
    for (const { host, intervalMs, lastSeen } of knownHosts) {
      this.#intervals.set(host.id, intervalMs);
      if (downHosts.has(host.id)) continue;
      const last = this.incidents.latest(hostDownKey(host.id));
      const dismissed =
        last !== undefined &&
        last.resolvedAt !== null &&
        last.resolvedBy !== 'auto' &&
        last.resolvedAt >= (lastSeen ?? 0);
      if (!dismissed)
        this.#liveness.expect(host, now, intervalMs, { graceMs: this.#o.config.startupGraceMs });
    }
    for (const hostId of downHosts) {
      const host = this.#o.host(hostId);
      if (host) this.#liveness.expect(host, now, this.#intervals.get(hostId) ?? 5_000, { down: true });
    }
    this.#stopTicks = every(this.#o.timers ?? unrefTimers, this.#o.tickMs ?? 250, () => this.tick());
  }

  stop(): void {
    this.#stopTicks?.();
    this.#stopTicks = undefined;
  }

  tick(now = this.#now()): void {
    this.#guard(() => {
      this.incidents.apply(this.#liveness.tick(now), now);
      this.incidents.tick(now);
    });
  }

  hostConnected(host: HostRef, intervalMs: number, agentVersion?: string, previousVersion?: string): void {
    this.#intervals.set(host.id, intervalMs);
    const now = this.#now();
    this.#guard(() =>
      this.incidents.apply(
        this.#reported(host, this.#liveness.connected(host, now, intervalMs, agentVersion, previousVersion)),
        now,
      ),
    );
  }

  /** `since`: when the host was last heard from (the grace runs from then). */
  hostDisconnected(hostId: number, since?: number): void {
    this.#liveness.disconnected(hostId, this.#now(), since);
  }

  /**
   * A stored snapshot, on the ingest path. Every snapshot proves the host alive; replayed backlog
   * (older than a few intervals) does not feed thresholds or checks: those describe the past,
   * and the outage covered it.
   */
  snapshot(host: HostRef, snapshot: Snapshot): void {
    const now = this.#now();
    const signals = this.#liveness.seen(host.id, now);
    const interval = this.#intervals.get(host.id) ?? 5_000;
    if (now - snapshot.ts <= 3 * interval + 5_000) {
      if (snapshot.checks) signals.push(...this.#checks.observe(host, snapshot.checks, now));
      if (snapshot.containers) signals.push(...this.#containers.observe(host, snapshot.containers, now));
      signals.push(
        ...this.#thresholds.observe(host, snapshot, now),
        ...this.#changes.observe(host, snapshot, now),
      );
    }
    if (signals.length > 0) this.#guard(() => this.incidents.apply(signals, now));
  }

  hostRemoved(host: HostRef): void {
    const now = this.#now();
    this.#changes.forget(host.id);
    this.#intervals.delete(host.id);
    this.#guard(() =>
      this.incidents.apply(
        [
          ...this.#liveness.forget(host.id, now),
          ...this.#checks.forget(host, now),
          ...this.#containers.forget(host, now),
        ],
        now,
      ),
    );
  }

  /** Threshold rules in force (config plus those added through the API). */
  rules(): readonly ThresholdRule[] {
    return this.#rules;
  }

  setRules(rules: readonly ThresholdRule[], hosts: ReadonlyMap<number, HostRef>): void {
    const now = this.#now();
    this.#rules = rules;
    this.#guard(() => this.incidents.apply(this.#thresholds.setRules(rules, now, hosts), now));
  }

  policy(ruleId: string): NotifyPolicy {
    return (
      this.#rules.find((r) => r.id === ruleId)?.policy ??
      this.#o.config.policies[ruleId] ??
      this.#o.config.policy
    );
  }

  /** Change events of the liveness detector, as their rules say: off, which hosts, severity. */
  #reported(host: HostRef, signals: Signal[]): Signal[] {
    return signals.flatMap((s): Signal[] => {
      if (s.type !== 'change') return [s];
      const rule = this.#o.config.changes[s.kind];
      return reports(rule, host) ? [{ ...s, severity: rule.severity }] : [];
    });
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // Detection must never take the ingest path down with it.
      this.#o.onError?.(err);
    }
  }
}
