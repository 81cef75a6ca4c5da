import { statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { createPrivate } from './db.ts';

export interface DbStats {
  file: string;
  /** Bytes of the main database file. */
  fileBytes: number;
  /** Bytes of the write-ahead log. */
  walBytes: number;
  pageSize: number;
  pages: number;
  freePages: number;
  schemaVersion: number;
  rows: Record<string, number>;
}

const TABLES = [
  'hosts',
  'metrics_raw',
  'metrics_1m',
  'metrics_1h',
  'host_state',
  'disk_history',
  'check_history',
  'container_history',
  'users',
  'api_tokens',
  'audit_log',
];

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Size of the database file plus its WAL, cheap enough for every /metrics scrape. */
export function dbBytes(db: Database): number {
  return size(db.name) + size(`${db.name}-wal`);
}

export function dbStats(db: Database, countRows = true): DbStats {
  const rows: Record<string, number> = {};
  if (countRows) {
    for (const t of TABLES) rows[t] = (db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number) ?? 0;
  }
  return {
    file: db.name,
    fileBytes: size(db.name),
    walBytes: size(`${db.name}-wal`),
    pageSize: db.pragma('page_size', { simple: true }) as number,
    pages: db.pragma('page_count', { simple: true }) as number,
    freePages: db.pragma('freelist_count', { simple: true }) as number,
    schemaVersion: (db.prepare('SELECT max(id) FROM schema_migrations').pluck().get() as number | null) ?? 0,
    rows,
  };
}

/** Online backup through SQLite's backup API: ingest keeps running while pages are copied. */
export async function backupDatabase(db: Database, destination: string): Promise<{ pages: number }> {
  createPrivate(destination);
  const result = await db.backup(destination);
  return { pages: result.totalPages };
}
