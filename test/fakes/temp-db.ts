import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../packages/collector/src/store/migrate.ts';
import { migrations } from '../../packages/collector/src/store/migrations/index.ts';

export type Db = InstanceType<typeof Database>;

/**
 * A real SQLite file in a fresh temporary folder, in WAL mode like the collector's, with the
 * collector's migrations applied (recipients refer to users). `open()` gives another connection
 * to the same file (a "restart").
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
  migrate(db, migrations);
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
