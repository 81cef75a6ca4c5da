import type { Database } from 'better-sqlite3';

/** Incidents, their timeline, silences and maintenance windows, and rules added through the API. */
export const migration = {
  id: 200,
  name: 'incidents',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE incidents (
        id              INTEGER PRIMARY KEY,
        key             TEXT    NOT NULL,
        kind            TEXT    NOT NULL,
        rule_id         TEXT    NOT NULL,
        host_id         TEXT    NOT NULL,
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
      -- One unresolved incident per problem.
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
      CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

      CREATE TABLE silences (
        id          INTEGER PRIMARY KEY,
        kind        TEXT    NOT NULL CHECK (kind IN ('silence', 'maintenance')),
        host_id     TEXT,
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
      CREATE INDEX silences_active ON silences (ends_at);

      CREATE TABLE alert_rules (
        id         TEXT PRIMARY KEY,
        definition TEXT    NOT NULL,
        created_by TEXT    NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  },
};
