import type { Database } from 'better-sqlite3';

/**
 * Four-eyes compares persons, not credentials: a service token remembers the user who minted it,
 * and a job the person behind whoever created it. Tokens minted before have nobody (they cannot
 * approve); older jobs created by a user get that user. A run counts the output bytes dropped.
 */
export const migration = {
  id: 401,
  name: 'job-persons',
  up(db: Database): void {
    db.exec(`
      ALTER TABLE api_tokens ADD COLUMN minted_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
      ALTER TABLE jobs ADD COLUMN person INTEGER;
      ALTER TABLE job_runs ADD COLUMN dropped_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE jobs SET person = CAST(substr(actor, 6) AS INTEGER) WHERE actor LIKE 'user:%';
    `);
  },
};
