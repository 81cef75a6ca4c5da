import type { Database } from 'better-sqlite3';

/** Each user's own notification settings, set with the bot's /notify. */
export const migration = {
  id: 501,
  name: 'notify-preferences',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE notify_preferences (
        user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        min_severity TEXT NOT NULL DEFAULT 'info' CHECK (min_severity IN ('info', 'warning', 'critical')),
        -- minutes after midnight in time_zone; both null when there are no quiet hours
        quiet_start INTEGER,
        quiet_end INTEGER,
        time_zone TEXT NOT NULL DEFAULT 'UTC',
        muted_until INTEGER,
        updated_at INTEGER NOT NULL
      );
    `);
  },
};
