import type { Migration } from './index.ts';

/** The remote-write queue: one row per stored snapshot, and how far each endpoint got. */
export const migration: Migration = {
  id: 600,
  name: 'remote-write queue',
  up(db) {
    db.exec(`
      -- AUTOINCREMENT: ids never come back after the queue empties, so a cursor never skips a row.
      CREATE TABLE remote_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,          -- the snapshot's time, ms
        labels TEXT NOT NULL,         -- the host's Prometheus labels, JSON
        samples TEXT NOT NULL,        -- [[name, value, {own labels}?], ...], JSON
        n INTEGER NOT NULL,           -- samples in the row
        bytes INTEGER NOT NULL        -- length of labels + samples
      );
      CREATE TABLE remote_cursor (
        endpoint TEXT PRIMARY KEY,
        last_id INTEGER NOT NULL      -- highest queue id delivered, or dropped with a counted reason
      );
    `);
  },
};
