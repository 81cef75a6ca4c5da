import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { notifyMigrations } from '../../packages/collector/src/notify/index.ts';

export type Db = InstanceType<typeof Database>;

/**
 * A real SQLite file in a fresh temporary folder, in WAL mode like the collector's, with the notify
 * migrations applied. `open()` gives another connection to the same file (a "restart").
 */
export function tempNotifyDb(): { file: string; db: Db; open(): Db; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pantau-notify-'));
  const file = join(dir, 'pantau.db');
  const connections: Db[] = [];
  const open = (): Db => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    connections.push(db);
    return db;
  };
  const db = open();
  for (const migration of notifyMigrations) db.transaction(() => migration.up(db))();
  return {
    file,
    db,
    open,
    cleanup() {
      for (const c of connections) if (c.open) c.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
