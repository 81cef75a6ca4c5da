import type { Database } from 'better-sqlite3';

/** Admin-defined activities, jobs, their per-host runs and their event history (output included). */
export const migration = {
  id: 400,
  name: 'jobs',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE activities (
        id          TEXT    PRIMARY KEY,
        description TEXT    NOT NULL DEFAULT '',
        action      TEXT    NOT NULL,
        fixed       TEXT    NOT NULL,
        params      TEXT    NOT NULL,
        dangerous   INTEGER NOT NULL,
        min_role    TEXT    NOT NULL CHECK (min_role IN ('viewer', 'operator', 'admin')),
        created_by  TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );

      CREATE TABLE jobs (
        id           INTEGER PRIMARY KEY,
        activity     TEXT    NOT NULL,
        action       TEXT    NOT NULL,
        params       TEXT    NOT NULL,
        sent_params  TEXT    NOT NULL,
        targets      TEXT    NOT NULL,
        actor        TEXT    NOT NULL,
        actor_name   TEXT    NOT NULL,
        surface      TEXT    NOT NULL,
        dangerous    INTEGER NOT NULL,
        state        TEXT    NOT NULL CHECK (state IN ('awaiting_confirmation', 'awaiting_approval', 'running',
                       'succeeded', 'failed', 'cancelled', 'expired')),
        created_at   INTEGER NOT NULL,
        decide_by    INTEGER,
        confirmed_by TEXT,
        approved_by  TEXT,
        cancelled_by TEXT,
        started_at   INTEGER,
        ended_at     INTEGER,
        batch        TEXT,
        stop_after   TEXT,
        timeout_ms   INTEGER NOT NULL
      );
      CREATE INDEX jobs_state ON jobs (state) WHERE state IN ('awaiting_confirmation', 'awaiting_approval', 'running');
      CREATE INDEX jobs_created ON jobs (created_at);

      CREATE TABLE job_runs (
        job_id       INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        host_id      INTEGER NOT NULL,
        host_name    TEXT    NOT NULL,
        position     INTEGER NOT NULL,
        state        TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'timed_out',
                       'cancelled', 'rejected', 'unreachable', 'lost')),
        exit_code    INTEGER,
        signal       TEXT,
        started_at   INTEGER,
        ended_at     INTEGER,
        duration_ms  INTEGER,
        truncated    INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        output_bytes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, host_id)
      ) WITHOUT ROWID;
      CREATE INDEX job_runs_host ON job_runs (host_id, job_id);
      CREATE INDEX job_runs_active ON job_runs (host_id) WHERE state = 'running';

      -- Everything a job's SSE stream sends, numbered per job so a client resumes with Last-Event-ID.
      CREATE TABLE job_events (
        job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        at      INTEGER NOT NULL,
        type    TEXT    NOT NULL,
        host_id INTEGER,
        data    TEXT    NOT NULL,
        PRIMARY KEY (job_id, seq)
      ) WITHOUT ROWID;
    `);
  },
};
