import type { Database, Statement } from 'better-sqlite3';
import { metricDefs } from './metric-catalog.ts';

/** host, ts, then one stored integer per metric: one metrics_raw row. */
export const METRIC_ROW = 2 + metricDefs.length;

/**
 * The rows one ingest flush writes, as plain data: built on the main thread, written there or
 * handed to the writer thread (the metric rows as a transferable buffer).
 */
export interface RowBatch {
  /** `metricCount` rows of METRIC_ROW numbers each. */
  metrics: Float64Array<ArrayBuffer>;
  metricCount: number;
  /** host, highest seq, last seen: one triple per host touched. */
  touch: number[];
  /** host, kind, ts, JSON data. */
  states: (number | string)[];
  /** host, mount, ts, size, used. */
  disks: (number | string)[];
  /** host, name, ts, ok (1/0), latency ms, error or null. */
  checks: (number | string | null)[];
  /** host, name, ts, cpu, memory. */
  containers: (number | string)[];
}

export function emptyRowBatch(maxMetricRows: number): RowBatch {
  return {
    metrics: new Float64Array(maxMetricRows * METRIC_ROW),
    metricCount: 0,
    touch: [],
    states: [],
    disks: [],
    checks: [],
    containers: [],
  };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The statements that write a RowBatch; the caller wraps apply() in its transaction. */
export class RowWriter {
  readonly #s: Record<'raw' | 'm1' | 'h1' | 'touch' | 'state' | 'disk' | 'check' | 'container', Statement>;
  /** Parameters are bound from arrays reused across rows: fresh ones per row kept GC busy. */
  readonly #raw: number[] = new Array(METRIC_ROW).fill(0);
  /** host, bucket, then sum and max per metric (one snapshot: both the value). */
  readonly #roll: number[] = new Array(2 + 2 * metricDefs.length).fill(0);

  constructor(db: Database) {
    const cols = metricDefs.map((d) => d.column);
    const rollup = (table: string) =>
      db.prepare(
        `INSERT INTO ${table} (host, ts, n, ${cols.map((c) => `${c}_sum, ${c}_max`).join(', ')})
         VALUES (?, ?, 1, ${cols.map(() => '?, ?').join(', ')})
         ON CONFLICT (host, ts) DO UPDATE SET n = n + 1, ${cols
           .map((c) => `${c}_sum = ${c}_sum + excluded.${c}_sum, ${c}_max = max(${c}_max, excluded.${c}_max)`)
           .join(', ')}`,
      );
    this.#s = {
      raw: db.prepare(
        `INSERT OR IGNORE INTO metrics_raw (host, ts, ${cols.join(', ')}) VALUES (?, ?, ${cols.map(() => '?').join(', ')})`,
      ),
      m1: rollup('metrics_1m'),
      h1: rollup('metrics_1h'),
      touch: db.prepare('UPDATE hosts SET last_seq = max(last_seq, ?), last_seen = ? WHERE id = ?'),
      state: db.prepare(
        'INSERT INTO host_state (host, kind, ts, data) VALUES (?, ?, ?, ?) ON CONFLICT (host, kind) DO UPDATE SET ts = excluded.ts, data = excluded.data',
      ),
      disk: db.prepare(
        'INSERT OR REPLACE INTO disk_history (host, mount, ts, size, used) VALUES (?, ?, ?, ?, ?)',
      ),
      check: db.prepare(
        'INSERT OR REPLACE INTO check_history (host, name, ts, ok, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      container: db.prepare(
        'INSERT OR REPLACE INTO container_history (host, name, ts, cpu, memory) VALUES (?, ?, ?, ?, ?)',
      ),
    };
  }

  apply(b: RowBatch): void {
    const raw = this.#raw;
    const roll = this.#roll;
    for (let r = 0; r < b.metricCount; r++) {
      const at = r * METRIC_ROW;
      for (let i = 0; i < METRIC_ROW; i++) raw[i] = b.metrics[at + i]!;
      roll[0] = raw[0]!;
      for (let i = 2; i < METRIC_ROW; i++) roll[2 * i - 2] = roll[2 * i - 1] = raw[i]!;
      this.#s.raw.run(raw);
      const ts = raw[1]!;
      roll[1] = ts - (ts % MINUTE);
      this.#s.m1.run(roll);
      roll[1] = ts - (ts % HOUR);
      this.#s.h1.run(roll);
    }
    run(this.#s.state, b.states, 4);
    run(this.#s.disk, b.disks, 5);
    run(this.#s.check, b.checks, 6);
    run(this.#s.container, b.containers, 5);
    // Last, as before: the host's committed seq moves only with the rows it covers.
    for (let i = 0; i < b.touch.length; i += 3) this.#s.touch.run(b.touch[i + 1], b.touch[i + 2], b.touch[i]);
  }
}

function run(stmt: Statement, flat: readonly unknown[], width: number): void {
  for (let i = 0; i < flat.length; i += width) stmt.run(flat.slice(i, i + width));
}
