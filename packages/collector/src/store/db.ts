import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
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
  // Token hashes and the audit log live here: only the collector's user may read them.
  chmodSync(dataDir, 0o700);
  const file = dbPath(dataDir);
  createPrivate(file);
  for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  const db = new Database(file, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a power cut can lose the last transactions but never corrupts the file.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.round(busyTimeoutMs)}`);
  db.pragma('cache_size = -32000');
  db.pragma('temp_store = MEMORY');
  beginImmediate(db);
  return db;
}

/**
 * Two connections write this file: the main thread's and the metric writer thread's. A deferred
 * transaction (SQLite's default) that reads and then writes fails at once with
 * SQLITE_BUSY_SNAPSHOT when the other connection committed in between: busy_timeout does not
 * apply, so a job's end frame or an acknowledgement could be lost to a metric commit. Every
 * transaction of these connections therefore begins IMMEDIATE, waiting for the write lock first.
 * Nested calls still become savepoints.
 */
function beginImmediate(db: Database.Database): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn) => {
    const tx = transaction(fn);
    return Object.assign((...args: Parameters<typeof tx>) => tx.immediate(...args), {
      default: tx.immediate,
      deferred: tx.deferred,
      immediate: tx.immediate,
      exclusive: tx.exclusive,
    });
  }) as typeof db.transaction;
}

/** Creates the file 0600 when missing (SQLite gives -wal and -shm the same mode) or narrows it. */
export function createPrivate(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}
