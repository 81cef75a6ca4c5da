import { PantauError } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
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
  /** Called inside the transaction that changes the incident, so the outbox write is atomic with it. */
  /** Returns how many messages went to the outbox (0: nobody to tell). */
  notify(notice: Notice): number;
}

interface Row {
  id: number;
  key: string;
  kind: Incident['kind'];
  rule_id: string;
  host_id: number;
  severity: Severity;
  title: string;
  detail: string;
  value: string | null;
  status: IncidentStatus;
  opened_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  flapping_since: number | null;
  recovery_owed: number;
  notified: number;
  suppressed: number;
  next_notify_at: number | null;
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
  readonly #sql: {
    byKey: Statement<[string], Row>;
    latestByKey: Statement<[string], Row>;
    byId: Statement<[number], Row>;
    insert: Statement;
    update: Statement;
    due: Statement<[number], Row>;
    unresolved: Statement<[], Row>;
    event: Statement<[number, number, string, string | null, string | null]>;
    events: Statement<[number], IncidentEvent>;
  };
  readonly #transaction: <T>(fn: () => T) => T;

  constructor(options: IncidentManagerOptions) {
    this.#o = options;
    const { db } = options;
    this.#sql = {
      byKey: db.prepare("SELECT * FROM incidents WHERE key = ? AND status <> 'resolved'"),
      latestByKey: db.prepare('SELECT * FROM incidents WHERE key = ? ORDER BY id DESC LIMIT 1'),
      byId: db.prepare('SELECT * FROM incidents WHERE id = ?'),
      insert: db.prepare(
        `INSERT INTO incidents (key, kind, rule_id, host_id, severity, title, detail, value, status, opened_at, resolved_at, resolved_by, next_notify_at)
         VALUES (@key, @kind, @rule_id, @host_id, @severity, @title, @detail, @value, @status, @opened_at, @resolved_at, @resolved_by, @next_notify_at)`,
      ),
      update: db.prepare(
        `UPDATE incidents SET value = @value, status = @status, acknowledged_at = @acknowledged_at, acknowledged_by = @acknowledged_by,
           resolved_at = @resolved_at, resolved_by = @resolved_by, flapping_since = @flapping_since,
           recovery_owed = @recovery_owed, notified = @notified,
           suppressed = @suppressed, next_notify_at = @next_notify_at WHERE id = @id`,
      ),
      due: db.prepare(
        "SELECT * FROM incidents WHERE status = 'open' AND next_notify_at <= ? ORDER BY next_notify_at",
      ),
      unresolved: db.prepare("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY id"),
      event: db.prepare(
        'INSERT INTO incident_events (incident_id, at, type, actor, detail) VALUES (?, ?, ?, ?, ?)',
      ),
      events: db.prepare(
        'SELECT at, type, actor, detail FROM incident_events WHERE incident_id = ? ORDER BY at, rowid',
      ),
    };
    this.#transaction = <T>(fn: () => T): T => db.transaction(fn)();
  }

  /** Applies detector signals: opens, clears and records change events. */
  apply(signals: readonly Signal[], now: number): void {
    if (signals.length === 0) return;
    this.#transaction(() => {
      for (const signal of signals) {
        if (signal.type === 'change') this.#change(signal, now);
        else if (signal.firing) this.#open(signal, now);
        else this.#clear(signal.key, now);
      }
    });
  }

  /** Sends due reminders. */
  tick(now: number): void {
    this.#transaction(() => {
      for (const row of this.#sql.due.all(now)) {
        const policy = this.#o.policy(row.rule_id);
        this.#tell(row, 'reminder', now);
        row.next_notify_at = now + reminderDelay(policy, row.notified + row.suppressed);
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
    return this.#transaction(() => {
      const row = this.#require(id);
      if (row.status === 'resolved') throw new PantauError('CONFLICT', `incident ${id} is already resolved`);
      if (row.status === 'acknowledged') return toIncident(row);
      row.status = 'acknowledged';
      row.acknowledged_at = now;
      row.acknowledged_by = actor;
      row.next_notify_at = null;
      this.#sql.event.run(id, now, 'acknowledged', actor, null);
      this.#tell(row, 'acknowledged', now);
      this.#save(row);
      return toIncident(row);
    });
  }

  /** Resolves by hand. A problem that persists opens a new incident only after it clears and fails again. */
  resolve(id: number, actor: string, now: number): Incident {
    return this.#transaction(() => {
      const row = this.#require(id);
      if (row.status === 'resolved') throw new PantauError('CONFLICT', `incident ${id} is already resolved`);
      this.#resolve(row, actor, now);
      return toIncident(row);
    });
  }

  get(id: number): Incident | undefined {
    const row = this.#sql.byId.get(id);
    return row ? toIncident(row) : undefined;
  }

  events(id: number): IncidentEvent[] {
    return this.#sql.events.all(id);
  }

  /** The newest incident of a problem key, resolved or not. */
  latest(key: string): Incident | undefined {
    const row = this.#sql.latestByKey.get(key);
    return row ? toIncident(row) : undefined;
  }

  /** Open and acknowledged incidents, oldest first: what detectors resume after a restart. */
  unresolved(): Incident[] {
    return this.#sql.unresolved.all().map(toIncident);
  }

  list(filter: IncidentFilter = {}): Incident[] {
    const clauses: [string, string | number | undefined][] = [
      ['status = ?', filter.status === 'active' ? undefined : filter.status],
      ['host_id = ?', filter.hostId],
      ['kind = ?', filter.kind],
      ['id < ?', filter.before],
    ];
    const used = clauses.filter(([, value]) => value !== undefined);
    const where = used.map(([clause]) => clause);
    const args = used.map(([, value]) => value as string | number);
    if (filter.status === 'active') where.push("status <> 'resolved'");
    const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    args.push(Math.min(Math.max(filter.limit ?? 50, 1), 500));
    return this.#o.db
      .prepare<unknown[], Row>(sql)
      .all(...args)
      .map(toIncident);
  }

  #open(signal: Extract<Signal, { type: 'problem' }>, now: number): void {
    const existing = this.#sql.byKey.get(signal.key);
    this.#countOpening(signal.key, now, this.#o.policy(signal.ruleId));
    if (existing) {
      // Still failing: one incident, and nobody is told twice.
      existing.value = signal.value ?? existing.value;
      this.#save(existing);
      return;
    }
    const last = this.#sql.latestByKey.get(signal.key);
    if (last && this.#flappingBack(last, now)) {
      this.#reopen(last, signal, now);
      return;
    }
    const policy = this.#o.policy(signal.ruleId);
    const info = this.#sql.insert.run({
      key: signal.key,
      kind: signal.kind,
      rule_id: signal.ruleId,
      host_id: signal.hostId,
      severity: signal.severity,
      title: signal.title,
      detail: signal.detail,
      value: signal.value ?? null,
      status: 'open',
      opened_at: signal.at,
      resolved_at: null,
      resolved_by: null,
      next_notify_at: now + reminderDelay(policy, 1),
    });
    const row = this.#sql.byId.get(Number(info.lastInsertRowid))!;
    // The timeline starts when the problem did, as the incident's openedAt says (not when the grace ended).
    this.#sql.event.run(row.id, signal.at, 'opened', null, signal.detail);
    this.#tell(row, 'opened', now);
    this.#save(row);
  }

  /**
   * The problem cleared: the incident resolves now, flapping or not, so it never stays open while
   * the host is fine. A flapping one is marked, and a failure within the flap window reopens it.
   */
  #clear(key: string, now: number): void {
    const row = this.#sql.byKey.get(key);
    if (!row) return;
    const policy = this.#o.policy(row.rule_id);
    const recent = (this.#openings.get(key) ?? []).filter((t) => now - t < policy.flapWindowMs);
    if (recent.length >= policy.flapOpenings && row.flapping_since === null) {
      row.flapping_since = now;
      this.#sql.event.run(row.id, now, 'flapping', null, `${recent.length} openings within the flap window`);
    }
    this.#resolve(row, 'auto', now);
  }

  /** A flapping incident that cleared by itself within the flap window: the same problem is back. */
  #flappingBack(row: Row, now: number): boolean {
    return (
      row.flapping_since !== null &&
      row.resolved_by === 'auto' &&
      row.resolved_at !== null &&
      now - row.resolved_at < this.#o.policy(row.rule_id).flapWindowMs
    );
  }

  /**
   * Reopens a flapping incident quietly: one incident per flapping problem, and no "opened" per
   * bounce. A reminder still comes if it stays down for a repeat interval.
   */
  #reopen(row: Row, signal: Extract<Signal, { type: 'problem' }>, now: number): void {
    row.status = row.acknowledged_at === null ? 'open' : 'acknowledged';
    row.resolved_at = null;
    row.resolved_by = null;
    row.value = signal.value ?? row.value;
    row.next_notify_at = row.status === 'open' ? now + reminderDelay(this.#o.policy(row.rule_id), 1) : null;
    this.#sql.event.run(row.id, now, 'flapped', null, signal.value ?? null);
    this.#save(row);
  }

  #change(signal: Extract<Signal, { type: 'change' }>, now: number): void {
    const info = this.#sql.insert.run({
      key: signal.key,
      kind: 'change',
      rule_id: signal.kind,
      host_id: signal.hostId,
      severity: signal.severity,
      title: signal.title,
      detail: signal.detail,
      value: null,
      status: 'resolved',
      opened_at: signal.at,
      resolved_at: signal.at,
      resolved_by: 'event',
      next_notify_at: null,
    });
    const row = this.#sql.byId.get(Number(info.lastInsertRowid))!;
    this.#sql.event.run(row.id, now, 'change', null, signal.detail);
    this.#tell(row, 'change', now);
    this.#save(row);
  }

  #resolve(row: Row, actor: string, now: number): void {
    row.status = 'resolved';
    row.resolved_at = now;
    row.resolved_by = actor;
    row.next_notify_at = null;
    this.#sql.event.run(row.id, now, 'resolved', actor, null);
    // Recovery goes to those who heard of the problem, silenced since or not; a problem nobody
    // heard of (or a flapping bounce nobody heard of) stays quiet.
    if (row.recovery_owed === 1) this.#tell(row, 'recovered', now, { owed: true });
    this.#save(row);
  }

  /** `owed`: a notice people were promised (a recovery after an alert), which no silence holds back. */
  #tell(row: Row, type: NoticeType, now: number, { owed = false } = {}): void {
    const host = this.#o.host(row.host_id);
    const silence = owed ? undefined : this.#o.silences.match(host, row.rule_id, row.id, now);
    if (silence) {
      row.suppressed += 1;
      this.#o.silences.countSuppressed(silence.id);
      this.#sql.event.run(
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
      this.#sql.event.run(row.id, now, 'unnotified', null, `${type}: no recipient to notify`);
      return;
    }
    if (type === 'recovered') row.recovery_owed = 0;
    else if (type !== 'change') row.recovery_owed = 1;
    if (type !== 'opened' && type !== 'change')
      this.#sql.event.run(row.id, now, `notified:${type}`, null, null);
  }

  #countOpening(key: string, now: number, policy: NotifyPolicy): void {
    const recent = (this.#openings.get(key) ?? []).filter((t) => now - t < policy.flapWindowMs);
    recent.push(now);
    this.#openings.set(key, recent);
  }

  #require(id: number): Row {
    const row = this.#sql.byId.get(id);
    if (!row) throw new PantauError('NOT_FOUND', `incident ${id} not found`);
    return row;
  }

  #save(row: Row): void {
    this.#sql.update.run(row);
  }
}

function toIncident(row: Row): Incident {
  return {
    id: row.id,
    key: row.key,
    kind: row.kind,
    ruleId: row.rule_id,
    hostId: row.host_id,
    severity: row.severity,
    title: row.title,
    detail: row.detail,
    value: row.value,
    status: row.status,
    openedAt: row.opened_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    flappingSince: row.flapping_since,
    notified: row.notified,
    suppressed: row.suppressed,
    nextNotifyAt: row.next_notify_at,
  };
}
