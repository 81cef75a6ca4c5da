import type { Database, Statement } from 'better-sqlite3';
import type { Incident, IncidentEvent, IncidentFilter } from './incidents.ts';

/** An incident as stored: the public fields plus whether a recovery message is owed (0 or 1). */
export type IncidentRow = Incident & { recoveryOwed: number };

/** What a new incident starts with; the counters and acknowledgement start empty. */
export type NewIncident = Pick<
  Incident,
  | 'key'
  | 'kind'
  | 'ruleId'
  | 'hostId'
  | 'severity'
  | 'title'
  | 'detail'
  | 'value'
  | 'status'
  | 'openedAt'
  | 'resolvedAt'
  | 'resolvedBy'
  | 'nextNotifyAt'
>;

type ListParams = {
  status: string | null;
  active: 0 | 1;
  hostId: number | null;
  kind: string | null;
  before: number | null;
  limit: number;
};

const COLS = `id, key, kind, rule_id AS ruleId, host_id AS hostId, severity, title, detail, value, status,
  opened_at AS openedAt, acknowledged_at AS acknowledgedAt, acknowledged_by AS acknowledgedBy,
  resolved_at AS resolvedAt, resolved_by AS resolvedBy, flapping_since AS flappingSince,
  recovery_owed AS recoveryOwed, notified, suppressed, next_notify_at AS nextNotifyAt`;

/** The incidents table and each incident's timeline. Only `IncidentManager` writes here. */
export class IncidentRepo {
  readonly #db: Database;
  readonly #sql: {
    openByKey: Statement<[string], IncidentRow>;
    latestByKey: Statement<[string], IncidentRow>;
    byId: Statement<[number], IncidentRow>;
    insert: Statement<[NewIncident]>;
    update: Statement<[IncidentRow]>;
    due: Statement<[number], IncidentRow>;
    unresolved: Statement<[], IncidentRow>;
    list: Statement<[ListParams], IncidentRow>;
    event: Statement<[number, number, string, string | null, string | null]>;
    events: Statement<[number], IncidentEvent>;
  };

  constructor(db: Database) {
    this.#db = db;
    this.#sql = {
      openByKey: db.prepare(`SELECT ${COLS} FROM incidents WHERE key = ? AND status <> 'resolved'`),
      latestByKey: db.prepare(`SELECT ${COLS} FROM incidents WHERE key = ? ORDER BY id DESC LIMIT 1`),
      byId: db.prepare(`SELECT ${COLS} FROM incidents WHERE id = ?`),
      insert: db.prepare(
        `INSERT INTO incidents (key, kind, rule_id, host_id, severity, title, detail, value, status, opened_at, resolved_at, resolved_by, next_notify_at)
         VALUES (@key, @kind, @ruleId, @hostId, @severity, @title, @detail, @value, @status, @openedAt, @resolvedAt, @resolvedBy, @nextNotifyAt)`,
      ),
      update: db.prepare(
        `UPDATE incidents SET value = @value, status = @status, acknowledged_at = @acknowledgedAt, acknowledged_by = @acknowledgedBy,
           resolved_at = @resolvedAt, resolved_by = @resolvedBy, flapping_since = @flappingSince,
           recovery_owed = @recoveryOwed, notified = @notified,
           suppressed = @suppressed, next_notify_at = @nextNotifyAt WHERE id = @id`,
      ),
      due: db.prepare(
        `SELECT ${COLS} FROM incidents WHERE status = 'open' AND next_notify_at <= ? ORDER BY next_notify_at`,
      ),
      unresolved: db.prepare(`SELECT ${COLS} FROM incidents WHERE status <> 'resolved' ORDER BY id`),
      list: db.prepare(
        `SELECT ${COLS} FROM incidents
          WHERE (@status IS NULL OR status = @status) AND (@active = 0 OR status <> 'resolved')
            AND (@hostId IS NULL OR host_id = @hostId) AND (@kind IS NULL OR kind = @kind)
            AND (@before IS NULL OR id < @before)
          ORDER BY id DESC LIMIT @limit`,
      ),
      event: db.prepare(
        'INSERT INTO incident_events (incident_id, at, type, actor, detail) VALUES (?, ?, ?, ?, ?)',
      ),
      events: db.prepare(
        'SELECT at, type, actor, detail FROM incident_events WHERE incident_id = ? ORDER BY at, rowid',
      ),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** Inserts and returns the stored row. */
  insert(incident: NewIncident): IncidentRow {
    return this.get(Number(this.#sql.insert.run(incident).lastInsertRowid))!;
  }

  save(row: IncidentRow): void {
    this.#sql.update.run(row);
  }

  get(id: number): IncidentRow | undefined {
    return this.#sql.byId.get(id);
  }

  /** The open or acknowledged incident of a problem key. */
  openByKey(key: string): IncidentRow | undefined {
    return this.#sql.openByKey.get(key);
  }

  latestByKey(key: string): IncidentRow | undefined {
    return this.#sql.latestByKey.get(key);
  }

  /** Open incidents whose next reminder is due, soonest first. */
  due(now: number): IncidentRow[] {
    return this.#sql.due.all(now);
  }

  unresolved(): IncidentRow[] {
    return this.#sql.unresolved.all();
  }

  /** Newest first; at most 500 (default 50). */
  list(filter: IncidentFilter): IncidentRow[] {
    const active = filter.status === 'active';
    return this.#sql.list.all({
      status: active ? null : (filter.status ?? null),
      active: active ? 1 : 0,
      hostId: filter.hostId ?? null,
      kind: filter.kind ?? null,
      before: filter.before ?? null,
      limit: Math.min(Math.max(filter.limit ?? 50, 1), 500),
    });
  }

  addEvent(id: number, at: number, type: string, actor: string | null, detail: string | null): void {
    this.#sql.event.run(id, at, type, actor, detail);
  }

  events(id: number): IncidentEvent[] {
    return this.#sql.events.all(id);
  }
}
