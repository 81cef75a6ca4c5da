import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type { Database } from 'better-sqlite3';

export const DB_FILE = 'pantau.db';

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/** Opens (creating if needed) the collector database with the pragmas the ingest path relies on. */
export function openDatabase(dataDir: string, busyTimeoutMs: number): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(dbPath(dataDir), { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a power cut can lose the last transactions but never corrupts the file.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.round(busyTimeoutMs)}`);
  db.pragma('cache_size = -32000');
  db.pragma('temp_store = MEMORY');
  return db;
}
