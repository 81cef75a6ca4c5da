import type { Database } from 'better-sqlite3';

/**
 * Host ids are numbers everywhere: incidents and silences stored them as text. SQLite cannot
 * change a column's type, so both tables are rebuilt (incident events are kept aside while
 * incidents is replaced, because dropping it would cascade to them).
 */
export const migration = {
  id: 201,
  name: 'numeric-host-ids',
  up(db: Database): void {
    db.exec(`
      CREATE TEMP TABLE kept_incident_events AS SELECT * FROM incident_events;
      DROP TABLE incident_events;

      CREATE TABLE incidents_new (
        id              INTEGER PRIMARY KEY,
        key             TEXT    NOT NULL,
        kind            TEXT    NOT NULL,
        rule_id         TEXT    NOT NULL,
        host_id         INTEGER NOT NULL,
        severity        TEXT    NOT NULL,
        title           TEXT    NOT NULL,
        detail          TEXT    NOT NULL,
        value           TEXT,
        status          TEXT    NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
        opened_at       INTEGER NOT NULL,
        acknowledged_at INTEGER,
        acknowledged_by TEXT,
        resolved_at     INTEGER,
        resolved_by     TEXT,
        clearing_since  INTEGER,
        notified        INTEGER NOT NULL DEFAULT 0,
        suppressed      INTEGER NOT NULL DEFAULT 0,
        next_notify_at  INTEGER
      );
      INSERT INTO incidents_new SELECT id, key, kind, rule_id, CAST(host_id AS INTEGER), severity, title, detail,
        value, status, opened_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, clearing_since,
        notified, suppressed, next_notify_at FROM incidents;
      DROP TABLE incidents;
      ALTER TABLE incidents_new RENAME TO incidents;
      CREATE UNIQUE INDEX incidents_open_key ON incidents (key) WHERE status <> 'resolved';
      CREATE INDEX incidents_host ON incidents (host_id, opened_at);
      CREATE INDEX incidents_due ON incidents (next_notify_at) WHERE status = 'open';

      CREATE TABLE incident_events (
        incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        at          INTEGER NOT NULL,
        type        TEXT    NOT NULL,
        actor       TEXT,
        detail      TEXT
      );
      INSERT INTO incident_events SELECT * FROM kept_incident_events;
      DROP TABLE kept_incident_events;
      CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

      CREATE TABLE silences_new (
        id          INTEGER PRIMARY KEY,
        kind        TEXT    NOT NULL CHECK (kind IN ('silence', 'maintenance')),
        host_id     INTEGER,
        label_key   TEXT,
        label_value TEXT,
        rule_id     TEXT,
        incident_id INTEGER,
        starts_at   INTEGER NOT NULL,
        ends_at     INTEGER NOT NULL,
        reason      TEXT    NOT NULL DEFAULT '',
        created_by  TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        suppressed  INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO silences_new SELECT id, kind, CAST(host_id AS INTEGER), label_key, label_value, rule_id,
        incident_id, starts_at, ends_at, reason, created_by, created_at, suppressed FROM silences;
      DROP TABLE silences;
      ALTER TABLE silences_new RENAME TO silences;
      CREATE INDEX silences_active ON silences (ends_at);
    `);
  },
};
