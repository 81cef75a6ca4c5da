import type { Database } from 'better-sqlite3';

/** CPU and memory of each running container, for the host page's container charts. */
export const migration = {
  id: 80,
  name: 'container-history',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE container_history (
        host INTEGER NOT NULL,
        name TEXT NOT NULL,
        ts INTEGER NOT NULL,
        cpu REAL NOT NULL, -- % of one core
        memory INTEGER NOT NULL, -- bytes
        PRIMARY KEY (host, name, ts)
      ) WITHOUT ROWID;
    `);
  },
};
