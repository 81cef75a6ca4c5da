import type { Database } from 'better-sqlite3';

/** A silence or maintenance window for hosts by a name glob (`web-*`), hosts added later included. */
export const migration = {
  id: 215,
  name: 'silence-host-patterns',
  up(db: Database): void {
    db.exec('ALTER TABLE silences ADD COLUMN host_pattern TEXT');
  },
};
