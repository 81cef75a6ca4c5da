import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import { MetricCatalog, type MetricName, metricNames } from './metric-catalog.ts';

export type Tier = 'raw' | '1m' | '1h';

export interface HistoryQuery {
  hostId: number;
  metric: MetricName;
  from: number;
  to: number;
  maxPoints: number;
}

export interface HistorySeries {
  metric: MetricName;
  unit: string;
  /** Which SQLite tier answered, or `remote` for the time-series database (`metrics.store: remote`). */
  tier: Tier | 'remote';
  /** Bucket width in ms; `ts[i]` is the start of bucket i. */
  step: number;
  ts: number[];
  avg: number[];
  max: number[];
}

export interface Retention {
  raw: number;
  minute: number;
  hour: number;
}

const TIER_MS: Record<Tier, number> = { raw: 1_000, '1m': 60_000, '1h': 3_600_000 };
const TABLE: Record<Tier, string> = { raw: 'metrics_raw', '1m': 'metrics_1m', '1h': 'metrics_1h' };

/**
 * Picks the coarsest tier whose rows are at most half a bucket wide (so every point averages
 * at least two rows and rollup edges do not alias) and whose retention still covers `from`.
 */
export function pickTier(
  from: number,
  to: number,
  maxPoints: number,
  retention: Retention,
  now: number,
): Tier {
  const step = (to - from) / maxPoints;
  const covers = { raw: now - retention.raw, '1m': now - retention.minute, '1h': -Infinity };
  if (step >= 2 * TIER_MS['1h'] || from < covers['1m']) return '1h';
  if (step >= 2 * TIER_MS['1m'] || from < covers.raw) return '1m';
  return 'raw';
}

/** One change of a check's outcome (ok ↔ failing). */
export interface CheckChange {
  name: string;
  ts: number;
  ok: boolean;
  latencyMs: number;
  error: string | null;
}

/** Where charts and the history API read a metric's series: SQLite's tiers or a time-series database. */
export interface MetricHistory {
  /** `now` decides which SQLite tiers still cover `from`. */
  read(q: HistoryQuery, now?: number): Promise<HistorySeries>;
}

/** The SQLite tiers as a MetricHistory. */
export function sqliteHistory(reader: HistoryReader, retention: Retention): MetricHistory {
  return { read: async (q, now) => reader.read(q, retention, now) };
}

interface BucketParams {
  host: number;
  from: number;
  to: number;
  step: number;
}

/** Rows [bucket, avg, max] of one metric in one tier. */
type BucketStatement = Statement<BucketParams, [number, number, number]>;

function bucketStatement(db: Database, tier: Tier, metric: MetricName): BucketStatement {
  const col = MetricCatalog[metric].column;
  const select =
    tier === 'raw' ? `avg(${col}), max(${col})` : `sum(${col}_sum) * 1.0 / sum(n), max(${col}_max)`;
  return db
    .prepare<BucketParams, [number, number, number]>(
      `SELECT CAST((ts - @from) / @step AS INTEGER) AS b, ${select} FROM ${TABLE[tier]}
       WHERE host = @host AND ts >= @from AND ts < @to GROUP BY b ORDER BY b`,
    )
    .raw(true);
}

/** Reads one metric for one host over a range, downsampled in SQL to at most maxPoints buckets. */
export class HistoryReader {
  /** One downsampling statement per tier and metric, prepared once. */
  readonly #buckets: Record<Tier, Record<MetricName, BucketStatement>>;
  readonly #checks: Statement<[number, number, number], Omit<CheckChange, 'ok'> & { ok: 0 | 1 }>;

  constructor(db: Database) {
    // Every name of the catalog, so each tier's record is whole.
    const tier = (t: Tier) =>
      Object.fromEntries(metricNames.map((m) => [m, bucketStatement(db, t, m)])) as Record<
        MetricName,
        BucketStatement
      >;
    this.#buckets = { raw: tier('raw'), '1m': tier('1m'), '1h': tier('1h') };
    this.#checks = db.prepare(
      `SELECT name, ts, ok, latency_ms AS latencyMs, error FROM check_history
       WHERE host = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT 10000`,
    );
  }

  /** Check outcome changes of one host in [from, to), oldest first, at most 10,000. */
  checkChanges(hostId: number, from: number, to: number): CheckChange[] {
    return this.#checks.all(hostId, from, to).map((r) => ({ ...r, ok: r.ok === 1 }));
  }

  read(q: HistoryQuery, retention: Retention, now = systemClock()): HistorySeries {
    const tier = pickTier(q.from, q.to, q.maxPoints, retention, now);
    const step = Math.max(TIER_MS[tier], Math.ceil((q.to - q.from) / q.maxPoints));
    const def = MetricCatalog[q.metric];
    const rows = this.#buckets[tier][q.metric].all({ host: q.hostId, from: q.from, to: q.to, step });
    const series: HistorySeries = { metric: q.metric, unit: def.unit, tier, step, ts: [], avg: [], max: [] };
    for (const [b, avg, max] of rows) {
      series.ts.push(q.from + b * step);
      series.avg.push(Math.round((avg / def.scale) * 100) / 100);
      series.max.push(max / def.scale);
    }
    return series;
  }
}
