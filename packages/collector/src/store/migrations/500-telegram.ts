import type { Database } from 'better-sqlite3';

/** One-time codes that make a Telegram user the first admin (`pantau-collector telegram claim`). */
export const migration = {
  id: 500,
  name: 'telegram-claims',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE telegram_claims (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        used_by INTEGER
      );
    `);
  },
};
