import type { Migration } from './index.ts';

/** One-time links that let a user (e.g. one who registered through Telegram) set a web password. */
export const migration: Migration = {
  id: 41,
  name: 'password links',
  up(db) {
    db.exec(`
      CREATE TABLE password_links (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
    `);
  },
};
