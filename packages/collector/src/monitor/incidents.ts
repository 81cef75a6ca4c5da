import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { IncidentRepo, type IncidentRow } from './incident-repo.ts';
import { type NotifyPolicy, reminderDelay } from './policy.ts';
import type { HostRef, ProblemKind, Severity, Signal } from './signals.ts';
import type { Silences } from './silences.ts';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

export interface Incident {
  id: number;
  key: string;
  kind: ProblemKind | 'change';
  ruleId: string;
  hostId: number;
  severity: Severity;
  title: string;
  detail: string;
  value: string | null;
  status: IncidentStatus;
  openedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** Since when the problem has been flapping (it keeps the incident, reopened quietly); null when it is not. */
  flappingSince: number | null;
  /** Notifications sent about it, and held back by silences or maintenance. */
  notified: number;
  suppressed: number;
  nextNotifyAt: number | null;
}

export type NoticeType = 'opened' | 'reminder' | 'acknowledged' | 'recovered' | 'change';

/** One thing to tell every recipient, handed to the notifier inside the incident's transaction. */
export interface Notice {
  type: NoticeType;
  incident: Incident;
  host: HostRef | undefined;
  at: number;
}

export interface IncidentEvent {
  at: number;
  type: string;
  actor: string | null;
  detail: string | null;
}

export interface IncidentFilter {
  status?: IncidentStatus | 'active' | undefined;
  hostId?: number | undefined;
  kind?: string | undefined;
  /** Only incidents with an id below this one (pagination cursor). */
  before?: number | undefined;
  limit?: number | undefined;
}

export interface IncidentManagerOptions {
  db: Database;
  silences: Silences;
  host(id: number): HostRef | undefined;
  policy(ruleId: string): NotifyPolicy;
  /**
   * Called inside the transaction that changes the incident, so the outbox write is atomic with it.
   * Returns how many messages went to the outbox (0: nobody to tell).
   */
  notify(notice: Notice): number;
}

/**
 * The incident lifecycle, persisted: open → acknowledged → resolved. One incident per problem
 * key; one message to everyone on open, reminders at the rule's repeat interval while open and
 * unacknowledged, one recovery message. Open incidents survive a restart unchanged, so no
 * second "opened" message is sent and reminders go on from where they were.
 */
export class IncidentManager {
  readonly #o: IncidentManagerOptions;
  readonly #openings = new Map<string, number[]>();
  readonly #repo: IncidentRepo;

  constructor(options: IncidentManagerOptions) {
    this.#o = options;
    this.#repo = new IncidentRepo(options.db);
  }

  /** Applies detector signals: opens, clears and records change events. */
  apply(signals: readonly Signal[], now: number): void {
    if (signals.length === 0) return;
    this.#repo.transaction(() => {
      for (const signal of signals) {
        if (signal.type === 'change') this.#change(signal, now);
        else if (signal.firing) this.#open(signal, now);
        else this.#clear(signal.key, now);
      }
    });
  }

  /** Sends due reminders. */
  tick(now: number): void {
    this.#repo.transaction(() => {
      for (const row of this.#repo.due(now)) {
        const policy = this.#o.policy(row.ruleId);
        this.#tell(row, 'reminder', now);
        row.nextNotifyAt = now + reminderDelay(policy, row.notified + row.suppressed);
        this.#save(row);
      }
    });
  }

  /** The end of the silence or maintenance window holding this incident's notices back now; null when none does. */
  silencedUntil(incident: Incident, now: number): number | null {
    return (
      this.#o.silences.match(this.#o.host(incident.hostId), incident.ruleId, incident.id, now)?.endsAt ?? null
    );
  }

  acknowledge(id: number, actor: string, now: number): Incident {
    return this.#repo.transaction(() => {
      const row = this.#require(id);
      if (row.status === 'resolved') throw new PantauError('CONFLICT', `incident ${id} is already resolved`);
      if (row.status === 'acknowledged') return toIncident(row);
      row.status = 'acknowledged';
      row.acknowledgedAt = now;
      row.acknowledgedBy = actor;
      row.nextNotifyAt = null;
      this.#repo.addEvent(id, now, 'acknowledged', actor, null);
      this.#tell(row, 'acknowledged', now);
      this.#save(row);
      return toIncident(row);
    });
  }

  /** Resolves by hand. A problem that persists opens a new incident only after it clears and fails again. */
  resolve(id: number, actor: string, now: number): Incident {
    return this.#repo.transaction(() => {
      const row = this.#require(id);
      if (row.status === 'resolved') throw new PantauError('CONFLICT', `incident ${id} is already resolved`);
      this.#resolve(row, actor, now);
      return toIncident(row);
    });
  }

  get(id: number): Incident | undefined {
    const row = this.#repo.get(id);
    return row ? toIncident(row) : undefined;
  }

  events(id: number): IncidentEvent[] {
    return this.#repo.events(id);
  }

  /** The newest incident of a problem key, resolved or not. */
  latest(key: string): Incident | undefined {
    const row = this.#repo.latestByKey(key);
    return row ? toIncident(row) : undefined;
  }

  /** Open and acknowledged incidents, oldest first: what detectors resume after a restart. */
  unresolved(): Incident[] {
    return this.#repo.unresolved().map(toIncident);
  }

  list(filter: IncidentFilter = {}): Incident[] {
    return this.#repo.list(filter).map(toIncident);
  }

  #open(signal: Extract<Signal, { type: 'problem' }>, now: number): void {
    const existing = this.#repo.openByKey(signal.key);
    this.#countOpening(signal.key, now, this.#o.policy(signal.ruleId));
    if (existing) {
      // Still failing: one incident, and nobody is told twice.
      existing.value = signal.value ?? existing.value;
      this.#save(existing);
      return;
    }
    const last = this.#repo.latestByKey(signal.key);
    if (last && this.#flappingBack(last, now)) {
      this.#reopen(last, signal, now);
      return;
    }
    const policy = this.#o.policy(signal.ruleId);
    const row = this.#repo.insert({
      key: signal.key,
      kind: signal.kind,
      ruleId: signal.ruleId,
      hostId: signal.hostId,
      severity: signal.severity,
      title: signal.title,
      detail: signal.detail,
      value: signal.value ?? null,
      status: 'open',
      openedAt: signal.at,
      resolvedAt: null,
      resolvedBy: null,
      nextNotifyAt: now + reminderDelay(policy, 1),
    });
    // The timeline starts when the problem did, as the incident's openedAt says (not when the grace ended).
    this.#repo.addEvent(row.id, signal.at, 'opened', null, signal.detail);
    this.#tell(row, 'opened', now);
    this.#save(row);
  }

  /**
   * The problem cleared: the incident resolves now, flapping or not, so it never stays open while
   * the host is fine. A flapping one is marked, and a failure within the flap window reopens it.
   */
  #clear(key: string, now: number): void {
    const row = this.#repo.openByKey(key);
    if (!row) return;
    const policy = this.#o.policy(row.ruleId);
    const recent = (this.#openings.get(key) ?? []).filter((t) => now - t < policy.flapWindowMs);
    if (recent.length >= policy.flapOpenings && row.flappingSince === null) {
      row.flappingSince = now;
      this.#repo.addEvent(row.id, now, 'flapping', null, `${recent.length} openings within the flap window`);
    }
    this.#resolve(row, 'auto', now);
  }

  /** A flapping incident that cleared by itself within the flap window: the same problem is back. */
  #flappingBack(row: IncidentRow, now: number): boolean {
    return (
      row.flappingSince !== null &&
      row.resolvedBy === 'auto' &&
      row.resolvedAt !== null &&
      now - row.resolvedAt < this.#o.policy(row.ruleId).flapWindowMs
    );
  }

  /**
   * Reopens a flapping incident quietly: one incident per flapping problem, and no "opened" per
   * bounce. A reminder still comes if it stays down for a repeat interval.
   */
  #reopen(row: IncidentRow, signal: Extract<Signal, { type: 'problem' }>, now: number): void {
    row.status = row.acknowledgedAt === null ? 'open' : 'acknowledged';
    row.resolvedAt = null;
    row.resolvedBy = null;
    row.value = signal.value ?? row.value;
    row.nextNotifyAt = row.status === 'open' ? now + reminderDelay(this.#o.policy(row.ruleId), 1) : null;
    this.#repo.addEvent(row.id, now, 'flapped', null, signal.value ?? null);
    this.#save(row);
  }

  #change(signal: Extract<Signal, { type: 'change' }>, now: number): void {
    const row = this.#repo.insert({
      key: signal.key,
      kind: 'change',
      ruleId: signal.kind,
      hostId: signal.hostId,
      severity: signal.severity,
      title: signal.title,
      detail: signal.detail,
      value: null,
      status: 'resolved',
      openedAt: signal.at,
      resolvedAt: signal.at,
      resolvedBy: 'event',
      nextNotifyAt: null,
    });
    this.#repo.addEvent(row.id, now, 'change', null, signal.detail);
    this.#tell(row, 'change', now);
    this.#save(row);
  }

  #resolve(row: IncidentRow, actor: string, now: number): void {
    row.status = 'resolved';
    row.resolvedAt = now;
    row.resolvedBy = actor;
    row.nextNotifyAt = null;
    this.#repo.addEvent(row.id, now, 'resolved', actor, null);
    // Recovery goes to those who heard of the problem, silenced since or not; a problem nobody
    // heard of (or a flapping bounce nobody heard of) stays quiet.
    if (row.recoveryOwed === 1) this.#tell(row, 'recovered', now, { owed: true });
    this.#save(row);
  }

  /** `owed`: a notice people were promised (a recovery after an alert), which no silence holds back. */
  #tell(row: IncidentRow, type: NoticeType, now: number, { owed = false } = {}): void {
    const host = this.#o.host(row.hostId);
    const silence = owed ? undefined : this.#o.silences.match(host, row.ruleId, row.id, now);
    if (silence) {
      row.suppressed += 1;
      this.#o.silences.countSuppressed(silence.id);
      this.#repo.addEvent(
        row.id,
        now,
        'suppressed',
        null,
        `${type} held back by ${silence.kind} #${silence.id}`,
      );
      return;
    }
    row.notified += 1;
    const sent = this.#o.notify({ type, incident: toIncident(row), host, at: now });
    // Nobody to tell (no recipients yet): the notice reached no one, so it does not count.
    if (sent === 0) {
      row.notified -= 1;
      this.#repo.addEvent(row.id, now, 'unnotified', null, `${type}: no recipient to notify`);
      return;
    }
    if (type === 'recovered') row.recoveryOwed = 0;
    else if (type !== 'change') row.recoveryOwed = 1;
    if (type !== 'opened' && type !== 'change')
      this.#repo.addEvent(row.id, now, `notified:${type}`, null, null);
  }

  #countOpening(key: string, now: number, policy: NotifyPolicy): void {
    const recent = (this.#openings.get(key) ?? []).filter((t) => now - t < policy.flapWindowMs);
    recent.push(now);
    this.#openings.set(key, recent);
  }

  #require(id: number): IncidentRow {
    const row = this.#repo.get(id);
    if (!row) throw new PantauError('NOT_FOUND', `incident ${id} not found`);
    return row;
  }

  #save(row: IncidentRow): void {
    this.#repo.save(row);
  }
}

/** The public view: without the stored recovery bookkeeping. */
function toIncident({ recoveryOwed: _, ...incident }: IncidentRow): Incident {
  return incident;
}
