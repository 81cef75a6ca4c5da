import type { Database } from 'better-sqlite3';

/** The agent process a host's snapshot numbering belongs to (hello.bootId). */
export const migration = {
  id: 70,
  name: 'agent-boot',
  up(db: Database): void {
    db.exec('ALTER TABLE hosts ADD COLUMN boot_id TEXT');
  },
};
