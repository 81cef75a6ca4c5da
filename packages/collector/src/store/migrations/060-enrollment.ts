import type { Database } from 'better-sqlite3';

/** Short-lived, single-use enrollment codes an agent exchanges for its host token. */
export const migration = {
  id: 60,
  name: 'enrollment',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE enrollment_codes (
        id         INTEGER PRIMARY KEY,
        code_hash  TEXT    NOT NULL UNIQUE,
        name       TEXT,
        labels     TEXT    NOT NULL DEFAULT '{}',
        created_by TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER,
        used_from  TEXT,
        host_id    INTEGER
      );
    `);
  },
};
