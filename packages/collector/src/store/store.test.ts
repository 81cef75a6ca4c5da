import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fullSnapshot, sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { pickTier } from './history.ts';
import { Store } from './index.ts';
import { backupDatabase, dbStats } from './maintenance.ts';
import { migrate } from './migrate.ts';
import { migrations } from './migrations/index.ts';

const LATEST = Math.max(...migrations.map((m) => m.id));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const retention = { raw: 48 * HOUR, minute: 30 * DAY, hour: 365 * DAY, chunkRows: 100 };
let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-store-'));
  store = new Store({ dataDir: dir, busyTimeout: 1000, retention });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (sql: string, ...args: unknown[]) =>
  store.db
    .prepare(sql)
    .pluck()
    .get(...args) as number;

describe('migrations', () => {
  it('applies pending migrations in id order and records them', () => {
    expect(store.migrated).toEqual({
      applied: [...migrations].sort((a, b) => a.id - b.id).map(({ id, name }) => ({ id, name })),
      current: LATEST,
    });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('finds the newest incident of a key (asked before each new incident opens) by index, not by a scan', () => {
    const plan = store.db
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE key = ? ORDER BY id DESC LIMIT 1')
      .all('host:1') as { detail: string }[];
    expect(plan.map((p) => p.detail)).toEqual(['SEARCH incidents USING INDEX incidents_key (key=?)']);
  });

  it('runs on an existing database with data: only new migrations apply, data is kept', () => {
    const { host } = store.hosts.add('web-1', {});
    store.writer.write([{ hostId: host.id, snapshot: sampleSnapshot(1), receivedAt: Date.now() }]);
    store.close();
    const db = new Database(join(dir, 'pantau.db'));
    const order: number[] = [];
    const later = [
      {
        id: 150,
        name: 'outbox',
        up: (d: typeof db) => {
          order.push(150);
          d.exec('CREATE TABLE outbox (id INTEGER PRIMARY KEY)');
        },
      },
      {
        id: 90,
        name: 'host-notes',
        up: (d: typeof db) => {
          order.push(90);
          d.exec('ALTER TABLE hosts ADD COLUMN notes TEXT');
        },
      },
    ];
    const result = migrate(db, [...migrations, ...later]);
    expect(result.applied.map((m) => m.id)).toEqual([90, 150]);
    expect(order).toEqual([90, 150]);
    expect(result.current).toBe(Math.max(LATEST, 150));
    expect(db.prepare('SELECT name, notes FROM hosts').get()).toEqual({ name: 'web-1', notes: null });
    expect(db.prepare('SELECT count(*) FROM metrics_raw').pluck().get()).toBe(1);
    expect(migrate(db, [...migrations, ...later]).applied).toEqual([]);
    db.close();
    store = new Store({ dataDir: dir, busyTimeout: 1000, retention });
  });

  it('rolls a failing migration back entirely and names it', () => {
    const broken = {
      id: 91,
      name: 'broken',
      up: (d: Database.Database) => {
        d.exec('CREATE TABLE half (x)');
        d.exec('INSERT INTO nowhere VALUES (1)');
      },
    };
    expect(() => migrate(store.db, [...migrations, broken])).toThrow(/migration 91 \(broken\) failed/);
    expect(count("SELECT count(*) FROM sqlite_master WHERE name = 'half'")).toBe(0);
    expect(count('SELECT max(id) FROM schema_migrations')).toBe(LATEST);
  });

  it('refuses duplicate ids', () => {
    expect(() => migrate(store.db, [...migrations, { id: 1, name: 'again', up: () => {} }])).toThrow(
      /share id 1/,
    );
  });
});

describe('snapshot writer', () => {
  it('writes core numbers, both rollup tiers (avg and max) and area state, deduplicating by seq', () => {
    const { host } = store.hosts.add('web-1', {});
    const base = Date.UTC(2026, 0, 1, 10, 0, 0);
    const snaps = [10, 30, 50].map((cpu, i) =>
      sampleSnapshot(i + 1, {
        ts: base + i * 5_000,
        cpu: { total: cpu, user: cpu / 2, system: 1, iowait: 0, steal: 0, cores: [cpu] },
      }),
    );
    snaps[0] = { ...fullSnapshot(1), ts: base, cpu: snaps[0]!.cpu };
    const r = store.writer.write(snaps.map((snapshot) => ({ hostId: host.id, snapshot, receivedAt: base })));
    expect(r.stored).toHaveLength(3);
    const again = store.writer.write([{ hostId: host.id, snapshot: snaps[1]!, receivedAt: base }]);
    expect(again).toMatchObject({ stored: [], duplicates: 1 });
    expect(again.committed.get(host.id)).toBe(3);
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(3);
    expect(store.db.prepare('SELECT n, cpu_sum, cpu_max FROM metrics_1m').all()).toEqual([
      { n: 3, cpu_sum: 9000, cpu_max: 5000 },
    ]);
    expect(store.db.prepare('SELECT n, cpu_sum, cpu_max FROM metrics_1h').get()).toEqual({
      n: 3,
      cpu_sum: 9000,
      cpu_max: 5000,
    });
    const kinds = store.db.prepare('SELECT kind FROM host_state ORDER BY kind').pluck().all();
    expect(kinds).toEqual([
      'checks',
      'containers',
      'core',
      'disks',
      'errors',
      'net',
      'ports',
      'processes',
      'system',
    ]);
    expect(count('SELECT count(*) FROM disk_history')).toBe(1);
    expect(count('SELECT count(*) FROM check_history')).toBe(2);
    expect(store.hosts.get(host.id)?.lastSeq).toBe(3);
    expect(store.writer.latest(host.id)?.metrics.cpu).toBe(50);
  });

  it('rebuilds the latest state from the database after a restart', () => {
    const { host } = store.hosts.add('web-1', {});
    store.writer.write([{ hostId: host.id, snapshot: fullSnapshot(7), receivedAt: Date.now() }]);
    store.close();
    store = new Store({ dataDir: dir, busyTimeout: 1000, retention });
    const latest = store.writer.latest(host.id)!;
    expect(latest.metrics.cpu).toBe(12.5);
    expect(latest.metrics['memory.used']).toBeCloseTo(1_500_000_000, -4);
    expect(latest.areas.ports?.data).toHaveLength(2);
    expect(latest.uptime).toBe(100_035);
    expect(store.writer.lastSeq(host.id)).toBe(7);
  });
});

describe('history', () => {
  it('picks raw, 1-minute or 1-hour data by range and retention', () => {
    const now = Date.UTC(2026, 5, 1);
    expect(pickTier(now - DAY, now, 1000, retention, now)).toBe('raw');
    expect(pickTier(now - 7 * DAY, now, 1000, retention, now)).toBe('1m');
    expect(pickTier(now - 30 * DAY, now, 1000, retention, now)).toBe('1m');
    expect(pickTier(now - 3 * DAY, now - 2.5 * DAY, 10_000, retention, now)).toBe('1m');
    expect(pickTier(now - 200 * DAY, now, 1000, retention, now)).toBe('1h');
    expect(pickTier(now - 40 * DAY, now - 39 * DAY, 1000, retention, now)).toBe('1h');
  });

  it('downsamples to at most maxPoints with the right averages and maxima', () => {
    const { host } = store.hosts.add('web-1', {});
    const now = Date.now();
    // Minute-aligned, so every rollup row holds a whole minute (an even count of 20s and 40s).
    const start = Math.floor((now - 2 * HOUR) / 60_000) * 60_000;
    const batch = [];
    for (let i = 0; i < 7200; i++) {
      batch.push({
        hostId: host.id,
        receivedAt: now,
        snapshot: sampleSnapshot(i + 1, {
          ts: start + i * 1000,
          cpu: { total: i % 2 === 0 ? 20 : 40, user: 0, system: 0, iowait: 0, steal: 0, cores: [] },
        }),
      });
    }
    store.writer.write(batch);
    const raw = store.history.read(
      { hostId: host.id, metric: 'cpu', from: start, to: start + 2 * HOUR, maxPoints: 100 },
      retention,
      now,
    );
    expect(raw.tier).toBe('raw');
    expect(raw.ts.length).toBeLessThanOrEqual(100);
    expect(raw.ts.length).toBeGreaterThanOrEqual(99);
    expect(raw.avg.every((v) => v === 30)).toBe(true);
    expect(raw.max.every((v) => v === 40)).toBe(true);
    const rolled = store.history.read(
      { hostId: host.id, metric: 'cpu', from: start - 20 * DAY, to: start + 2 * HOUR, maxPoints: 500 },
      retention,
      now,
    );
    expect(rolled.tier).toBe('1m');
    expect(rolled.avg.every((v) => v === 30)).toBe(true);
    const hourly = store.history.read(
      { hostId: host.id, metric: 'memory.used', from: start - 300 * DAY, to: now, maxPoints: 50 },
      retention,
      now,
    );
    expect(hourly.tier).toBe('1h');
    expect(hourly.avg[0]).toBeCloseTo(1_500_000_000, -4);
  });
});

describe('retention', () => {
  it('deletes expired rows per tier in chunks and keeps the rest', async () => {
    const { host } = store.hosts.add('web-1', {});
    const now = Date.now();
    const batch = [];
    // 3 days at one snapshot per minute: raw keeps 48 h, rollups keep everything.
    for (let i = 0; i < 3 * 1440; i++) {
      batch.push({
        hostId: host.id,
        receivedAt: now,
        snapshot: sampleSnapshot(i + 1, { ts: now - 3 * DAY + i * 60_000 }),
      });
    }
    store.writer.write(batch);
    const result = await store.retention.run(now);
    expect(result.deleted.metrics_raw).toBe(1440);
    expect(result.chunks).toBeGreaterThanOrEqual(14);
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(2 * 1440);
    expect(count('SELECT min(ts) FROM metrics_raw')).toBeGreaterThanOrEqual(now - 48 * HOUR);
    expect(count('SELECT count(*) FROM metrics_1m')).toBe(3 * 1440);
    const later = await store.retention.run(now + 29 * DAY);
    expect(later.deleted.metrics_1m).toBeGreaterThan(0);
    expect(count('SELECT min(ts) FROM metrics_1m')).toBeGreaterThanOrEqual(now - DAY);
  });
});

describe('backup and stats', () => {
  it('makes an online backup that is a valid database with the same data', async () => {
    const { host } = store.hosts.add('web-1', {});
    store.writer.write([{ hostId: host.id, snapshot: fullSnapshot(1), receivedAt: Date.now() }]);
    const file = join(dir, 'backup.db');
    const { pages } = await backupDatabase(store.db, file);
    expect(pages).toBeGreaterThan(0);
    const copy = new Database(file, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT name FROM hosts').pluck().all()).toEqual(['web-1']);
    expect(copy.prepare('SELECT count(*) FROM metrics_raw').pluck().get()).toBe(1);
    copy.close();
    const stats = dbStats(store.db);
    expect(stats.rows.metrics_raw).toBe(1);
    expect(stats.schemaVersion).toBe(LATEST);
    expect(stats.fileBytes).toBeGreaterThan(0);
  });
});

describe('migration 201: numeric host ids', () => {
  it('turns text host ids in incidents and silences into integers, keeping every row and event', () => {
    const file = join(dir, 'old.db');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(
      db,
      migrations.filter((m) => m.id < 201),
    );
    db.exec(`
      INSERT INTO incidents (id, key, kind, rule_id, host_id, severity, title, detail, status, opened_at)
        VALUES (7, 'host:12', 'host_down', 'host-down', '12', 'critical', 'web-1 down', 'gone', 'open', 5);
      INSERT INTO incident_events (incident_id, at, type, actor) VALUES (7, 5, 'opened', NULL), (7, 6, 'notified', NULL);
      INSERT INTO silences (kind, host_id, starts_at, ends_at, created_by, created_at) VALUES ('silence', '12', 1, 2, 'x', 1);
      INSERT INTO silences (kind, label_key, label_value, starts_at, ends_at, created_by, created_at)
        VALUES ('maintenance', 'env', 'prod', 1, 2, 'x', 1);
    `);
    expect(migrate(db, migrations).applied.map((m) => m.id)).toEqual(
      migrations.filter((m) => m.id >= 201).map((m) => m.id),
    );
    const types = (table: string) =>
      db.prepare(`SELECT typeof(host_id) AS t FROM ${table} ORDER BY id`).pluck().all();
    expect(types('incidents')).toEqual(['integer']);
    expect(types('silences')).toEqual(['integer', 'null']);
    expect(db.prepare('SELECT host_id FROM incidents WHERE id = 7').pluck().get()).toBe(12);
    expect(db.prepare('SELECT count(*) FROM incident_events WHERE incident_id = 7').pluck().get()).toBe(2);
    // The cascade still holds after the rebuild.
    db.prepare('DELETE FROM incidents WHERE id = 7').run();
    expect(db.prepare('SELECT count(*) FROM incident_events').pluck().get()).toBe(0);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
