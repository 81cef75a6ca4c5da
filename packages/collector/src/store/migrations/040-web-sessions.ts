import type { Migration } from './index.ts';

/** Web console sessions: server-side, so a role change, a disable or a logout ends them at once. */
export const migration: Migration = {
  id: 40,
  name: 'web sessions',
  up(db) {
    db.exec(`
      CREATE TABLE web_sessions (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        csrf TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ended_at INTEGER,
        ended_why TEXT,
        address TEXT,
        user_agent TEXT
      );
      CREATE INDEX web_sessions_user ON web_sessions (user_id) WHERE ended_at IS NULL;
    `);
  },
};
