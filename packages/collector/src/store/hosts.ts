import type { ActionSpec, HelloFrame, SystemInfo } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import { hashToken, newToken } from '../security/tokens.ts';

export type HostStatus = 'new' | 'online' | 'offline';

export interface Host {
  id: number;
  name: string;
  labels: Record<string, string>;
  status: HostStatus;
  statusSince: number | null;
  lastSeen: number | null;
  lastSeq: number;
  agentVersion: string | null;
  intervalMs: number | null;
  system: SystemInfo | null;
  actions: ActionSpec[];
  createdAt: number;
  tokenChangedAt: number | null;
}

interface HostRow {
  id: number;
  name: string;
  labels: string;
  status: HostStatus;
  status_since: number | null;
  last_seen: number | null;
  last_seq: number;
  agent_version: string | null;
  interval_ms: number | null;
  system: string | null;
  actions: string | null;
  created_at: number;
  token_changed_at: number | null;
}

function toHost(row: HostRow): Host {
  return {
    id: row.id,
    name: row.name,
    labels: JSON.parse(row.labels) as Record<string, string>,
    status: row.status,
    statusSince: row.status_since,
    lastSeen: row.last_seen,
    lastSeq: row.last_seq,
    agentVersion: row.agent_version,
    intervalMs: row.interval_ms,
    system: row.system ? (JSON.parse(row.system) as SystemInfo) : null,
    actions: row.actions ? (JSON.parse(row.actions) as ActionSpec[]) : [],
    createdAt: row.created_at,
    tokenChangedAt: row.token_changed_at,
  };
}

const COLUMNS =
  'id, name, labels, status, status_since, last_seen, last_seq, agent_version, interval_ms, system, actions, created_at, token_changed_at';

/** Hosts and their agent tokens (hashed). */
export class HostRepo {
  readonly #db: Database;
  readonly #s: Record<string, Statement>;

  constructor(db: Database) {
    this.#db = db;
    this.#s = {
      insert: db.prepare(
        'INSERT INTO hosts (name, labels, token_hash, token_changed_at, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      byId: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE id = ?`),
      byName: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE name = ?`),
      byToken: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE token_hash = ?`),
      page: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE id > ? ORDER BY id LIMIT ?`),
      count: db.prepare('SELECT count(*) AS n FROM hosts'),
      prefix: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?`),
      setToken: db.prepare('UPDATE hosts SET token_hash = ?, token_changed_at = ? WHERE id = ?'),
      setLabels: db.prepare('UPDATE hosts SET labels = ? WHERE id = ?'),
      online: db.prepare(
        `UPDATE hosts SET status = 'online', status_since = ?, last_seen = ?, agent_version = ?, interval_ms = ?,
           system = ?, actions = ? WHERE id = ?`,
      ),
      offline: db.prepare(
        `UPDATE hosts SET status = 'offline', status_since = ? WHERE id = ? AND status = 'online'`,
      ),
      allOffline: db.prepare(`UPDATE hosts SET status = 'offline', status_since = ? WHERE status = 'online'`),
      delete: db.prepare('DELETE FROM hosts WHERE id = ?'),
    };
  }

  /** Adds a host and returns it with its agent token (the only time the token is visible). */
  add(name: string, labels: Record<string, string>, now = Date.now()): { host: Host; token: string } {
    const token = newToken('agent');
    const info = this.#s.insert!.run(name, JSON.stringify(labels), hashToken(token), now, now);
    return { host: this.get(Number(info.lastInsertRowid))!, token };
  }

  get(id: number): Host | undefined {
    const row = this.#s.byId!.get(id) as HostRow | undefined;
    return row && toHost(row);
  }

  getByName(name: string): Host | undefined {
    const row = this.#s.byName!.get(name) as HostRow | undefined;
    return row && toHost(row);
  }

  byTokenHash(hash: string): Host | undefined {
    const row = this.#s.byToken!.get(hash) as HostRow | undefined;
    return row && toHost(row);
  }

  /** Keyset pagination: hosts with id > after, at most limit. */
  list(after: number, limit: number): Host[] {
    return (this.#s.page!.all(after, limit) as HostRow[]).map(toHost);
  }

  /** Hosts whose name starts with `prefix` (ASCII case-insensitive), by name, at most limit. */
  findByPrefix(prefix: string, limit: number): Host[] {
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return (this.#s.prefix!.all(pattern, limit) as HostRow[]).map(toHost);
  }

  count(): number {
    return (this.#s.count!.get() as { n: number }).n;
  }

  /** Replaces the token; the old one stops working at once. */
  rotateToken(id: number, now = Date.now()): string {
    const token = newToken('agent');
    this.#s.setToken!.run(hashToken(token), now, id);
    return token;
  }

  revokeToken(id: number, now = Date.now()): void {
    this.#s.setToken!.run(null, now, id);
  }

  setLabels(id: number, labels: Record<string, string>): void {
    this.#s.setLabels!.run(JSON.stringify(labels), id);
  }

  markOnline(id: number, hello: HelloFrame, now = Date.now()): void {
    this.#s.online!.run(
      now,
      now,
      hello.agentVersion,
      hello.intervalMs,
      JSON.stringify(hello.system),
      JSON.stringify(hello.actions),
      id,
    );
  }

  markOffline(id: number, now = Date.now()): void {
    this.#s.offline!.run(now, id);
  }

  /** At start: nobody is connected yet, whatever the file says. */
  markAllOffline(now = Date.now()): number {
    return this.#s.allOffline!.run(now).changes;
  }

  /** Deletes the host and all its data. */
  delete(id: number): boolean {
    return this.#db.transaction(() => {
      for (const table of [
        'metrics_raw',
        'metrics_1m',
        'metrics_1h',
        'host_state',
        'disk_history',
        'check_history',
      ]) {
        this.#db.prepare(`DELETE FROM ${table} WHERE host = ?`).run(id);
      }
      return this.#s.delete!.run(id).changes > 0;
    })();
  }
}
