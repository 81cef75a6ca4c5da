import type { ActionSpec, HelloFrame, SystemInfo } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
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

/** A row under its API names; the JSON columns are still text. */
interface Row extends Omit<Host, 'labels' | 'system' | 'actions'> {
  labels: string;
  system: string | null;
  actions: string | null;
}

function toHost(row: Row): Host {
  return {
    ...row,
    labels: JSON.parse(row.labels) as Record<string, string>,
    system: row.system ? (JSON.parse(row.system) as SystemInfo) : null,
    actions: row.actions ? (JSON.parse(row.actions) as ActionSpec[]) : [],
  };
}

const COLUMNS = `id, name, labels, status, status_since AS statusSince, last_seen AS lastSeen, last_seq AS lastSeq,
  agent_version AS agentVersion, interval_ms AS intervalMs, system, actions, created_at AS createdAt,
  token_changed_at AS tokenChangedAt`;

/** Tables holding a host's data, emptied when the host is deleted. */
const DATA_TABLES = [
  'metrics_raw',
  'metrics_1m',
  'metrics_1h',
  'host_state',
  'disk_history',
  'check_history',
  'container_history',
];

/** Hosts and their agent tokens (hashed). */
export class HostRepo {
  readonly #db: Database;
  readonly #sql: {
    insert: Statement<[string, string, string, number, number]>;
    byId: Statement<[number], Row>;
    byName: Statement<[string], Row>;
    byToken: Statement<[string], Row>;
    page: Statement<[number, number], Row>;
    count: Statement<[], { n: number }>;
    actions: Statement<[], { actions: string }>;
    prefix: Statement<[string, number], Row>;
    marksDangerous: Statement<[string], { name: string }>;
    setToken: Statement<[string | null, number, number]>;
    setLabels: Statement<[string, number]>;
    online: Statement<[number, number, string, number, string, string, number]>;
    offline: Statement<[number, number]>;
    allOffline: Statement<[number]>;
    deleteData: Statement<[number]>[];
    delete: Statement<[number]>;
  };

  constructor(db: Database) {
    this.#db = db;
    this.#sql = {
      insert: db.prepare(
        'INSERT INTO hosts (name, labels, token_hash, token_changed_at, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      byId: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE id = ?`),
      byName: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE name = ?`),
      byToken: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE token_hash = ?`),
      page: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE id > ? ORDER BY id LIMIT ?`),
      count: db.prepare('SELECT count(*) AS n FROM hosts'),
      // Most agents announce the same list: DISTINCT keeps this one row per different list.
      actions: db.prepare('SELECT DISTINCT actions FROM hosts WHERE actions IS NOT NULL'),
      prefix: db.prepare(`SELECT ${COLUMNS} FROM hosts WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?`),
      marksDangerous: db.prepare(
        `SELECT h.name FROM hosts h, json_each(h.actions) a
         WHERE json_extract(a.value, '$.name') = ? AND json_extract(a.value, '$.dangerous') = 1
         ORDER BY h.id LIMIT 1`,
      ),
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
      deleteData: DATA_TABLES.map((table) => db.prepare(`DELETE FROM ${table} WHERE host = ?`)),
      delete: db.prepare('DELETE FROM hosts WHERE id = ?'),
    };
  }

  /** Adds a host and returns it with its agent token (the only time the token is visible). */
  add(name: string, labels: Record<string, string>, now = systemClock()): { host: Host; token: string } {
    const token = newToken('agent');
    const info = this.#sql.insert.run(name, JSON.stringify(labels), hashToken(token), now, now);
    return { host: this.get(Number(info.lastInsertRowid))!, token };
  }

  get(id: number): Host | undefined {
    const row = this.#sql.byId.get(id);
    return row && toHost(row);
  }

  getByName(name: string): Host | undefined {
    const row = this.#sql.byName.get(name);
    return row && toHost(row);
  }

  byTokenHash(hash: string): Host | undefined {
    const row = this.#sql.byToken.get(hash);
    return row && toHost(row);
  }

  /** Keyset pagination: hosts with id > after, at most limit. */
  list(after: number, limit: number): Host[] {
    return this.#sql.page.all(after, limit).map(toHost);
  }

  /** A host whose agent announced this action as dangerous (in its last hello), if any. */
  markingDangerous(action: string): string | null {
    return this.#sql.marksDangerous.get(action)?.name ?? null;
  }

  /** Hosts whose name starts with `prefix` (ASCII case-insensitive), by name, at most limit. */
  findByPrefix(prefix: string, limit: number): Host[] {
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.#sql.prefix.all(pattern, limit).map(toHost);
  }

  count(): number {
    return this.#sql.count.get()!.n;
  }

  /** Every action some agent announced in its last `hello`, one spec per name (the first seen). */
  announcedActions(): ActionSpec[] {
    const byName = new Map<string, ActionSpec>();
    for (const row of this.#sql.actions.all()) {
      for (const spec of JSON.parse(row.actions) as ActionSpec[]) {
        if (!byName.has(spec.name)) byName.set(spec.name, spec);
      }
    }
    return [...byName.values()];
  }

  /** Replaces the token; the old one stops working at once. */
  rotateToken(id: number, now = systemClock()): string {
    const token = newToken('agent');
    this.#sql.setToken.run(hashToken(token), now, id);
    return token;
  }

  revokeToken(id: number, now = systemClock()): void {
    this.#sql.setToken.run(null, now, id);
  }

  setLabels(id: number, labels: Record<string, string>): void {
    this.#sql.setLabels.run(JSON.stringify(labels), id);
  }

  markOnline(id: number, hello: HelloFrame, now = systemClock()): void {
    this.#sql.online.run(
      now,
      now,
      hello.agentVersion,
      hello.intervalMs,
      JSON.stringify(hello.system),
      JSON.stringify(hello.actions),
      id,
    );
  }

  markOffline(id: number, now = systemClock()): void {
    this.#sql.offline.run(now, id);
  }

  /** At start: nobody is connected yet, whatever the file says. */
  markAllOffline(now = systemClock()): number {
    return this.#sql.allOffline.run(now).changes;
  }

  /** Deletes the host and all its data. */
  delete(id: number): boolean {
    return this.#db.transaction(() => {
      for (const statement of this.#sql.deleteData) statement.run(id);
      return this.#sql.delete.run(id).changes > 0;
    })();
  }
}
