import type { Database } from 'better-sqlite3';
import { metricDefs } from '../metric-catalog.ts';

const rawColumns = metricDefs.map((d) => `${d.column} INTEGER NOT NULL`).join(',\n  ');
const rollupColumns = metricDefs
  .map((d) => `${d.column}_sum INTEGER NOT NULL, ${d.column}_max INTEGER NOT NULL`)
  .join(',\n  ');

/** Hosts, core numbers (raw + rollups), per-area state and history, API users and tokens, audit log. */
export const migration = {
  id: 1,
  name: 'initial',
  up(db: Database): void {
    db.exec(`
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  labels TEXT NOT NULL DEFAULT '{}',
  token_hash TEXT UNIQUE,
  token_changed_at INTEGER,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'online', 'offline')),
  status_since INTEGER,
  last_seen INTEGER,
  last_seq INTEGER NOT NULL DEFAULT 0,
  agent_version TEXT,
  interval_ms INTEGER,
  system TEXT,
  actions TEXT
);

-- One row per snapshot; ts in ms. Scaled integers, see metric-catalog.ts.
CREATE TABLE metrics_raw (
  host INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  ${rawColumns},
  PRIMARY KEY (host, ts)
) WITHOUT ROWID;

-- Rollups: ts is the bucket start; avg = sum / n.
CREATE TABLE metrics_1m (
  host INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  n INTEGER NOT NULL,
  ${rollupColumns},
  PRIMARY KEY (host, ts)
) WITHOUT ROWID;

CREATE TABLE metrics_1h (
  host INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  n INTEGER NOT NULL,
  ${rollupColumns},
  PRIMARY KEY (host, ts)
) WITHOUT ROWID;

-- Latest state per area (disks, net, processes, ports, checks, containers, system, errors), JSON.
CREATE TABLE host_state (
  host INTEGER NOT NULL,
  kind TEXT NOT NULL,
  ts INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (host, kind)
) WITHOUT ROWID;

-- Disk usage history, at most one row per mount per 5 minutes.
CREATE TABLE disk_history (
  host INTEGER NOT NULL,
  mount TEXT NOT NULL,
  ts INTEGER NOT NULL,
  size INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (host, mount, ts)
) WITHOUT ROWID;

-- Check results, only when a check's outcome changes (ok ↔ failing).
CREATE TABLE check_history (
  host INTEGER NOT NULL,
  name TEXT NOT NULL,
  ts INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  error TEXT,
  PRIMARY KEY (host, name, ts)
) WITHOUT ROWID;

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  email TEXT,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash TEXT NOT NULL UNIQUE,
  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  details TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
`);
  },
};
