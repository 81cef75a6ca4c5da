import type { Database } from 'better-sqlite3';

/**
 * A flapping problem resolves as soon as it clears (it no longer stays open while the host is
 * fine): `clearing_since` becomes `flapping_since`, the mark on the incident. `recovery_owed`
 * says somebody was told of the problem and not yet of its recovery.
 */
export const migration = {
  id: 210,
  name: 'incident-flapping',
  up(db: Database): void {
    db.exec(`
      ALTER TABLE incidents RENAME COLUMN clearing_since TO flapping_since;
      ALTER TABLE incidents ADD COLUMN recovery_owed INTEGER NOT NULL DEFAULT 0;
      UPDATE incidents SET recovery_owed = 1 WHERE status <> 'resolved' AND notified > 0;
    `);
  },
};
