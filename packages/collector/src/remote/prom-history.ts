import { PantauError } from '@pantau/shared';
import type { HistoryQuery, HistorySeries, MetricHistory } from '../store/history.ts';
import type { HostRepo } from '../store/hosts.ts';
import { MetricCatalog } from '../store/metric-catalog.ts';
import type { RemoteHttp } from './http.ts';
import { HOST_SERIES } from './series.ts';

interface QueryRangeAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

/** A PromQL string literal. */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/**
 * History from the time-series database's Prometheus query API (`metrics.store: remote`):
 * the same buckets as SQLite's (width `step` from `from`), each point the average and the
 * maximum of the samples inside it.
 */
export class PrometheusHistory implements MetricHistory {
  readonly #http: RemoteHttp;
  readonly #hosts: HostRepo;

  constructor(http: RemoteHttp, hosts: HostRepo) {
    this.#http = http;
    this.#hosts = hosts;
  }

  async read(q: HistoryQuery): Promise<HistorySeries> {
    const def = MetricCatalog[q.metric];
    const series = HOST_SERIES[q.metric];
    const step = Math.max(1_000, Math.ceil((q.to - q.from) / q.maxPoints));
    const out: HistorySeries = {
      metric: q.metric,
      unit: def.unit,
      tier: 'remote',
      step,
      ts: [],
      avg: [],
      max: [],
    };
    const host = this.#hosts.get(q.hostId);
    if (!host) return out;
    const selector = `${series.name}{host=${promString(host.name)}}[${step}ms]`;
    const buckets = Math.ceil((q.to - q.from) / step);
    // Evaluated at each bucket's last millisecond, a window of `step` covers exactly that bucket.
    // The outer aggregation joins the series a host had before and after its labels changed.
    const [avg, max] = await Promise.all([
      this.#range(`avg(avg_over_time(${selector}))`, q.from, buckets, step),
      this.#range(`max(max_over_time(${selector}))`, q.from, buckets, step),
    ]);
    const maxAt = new Map(max);
    for (const [t, v] of avg) {
      const start = t + 1 - step;
      out.ts.push(start);
      out.avg.push(Math.round((v / series.factor) * 100) / 100);
      out.max.push((maxAt.get(t) ?? v) / series.factor);
    }
    return out;
  }

  /** Evaluates `query` at the end of each bucket; returns [time ms, value] pairs. */
  async #range(query: string, from: number, buckets: number, step: number): Promise<[number, number][]> {
    const params = new URLSearchParams({
      query,
      start: String((from + step - 1) / 1000),
      end: String((from + buckets * step - 1) / 1000),
      step: `${step}ms`,
      // VictoriaMetrics otherwise rounds start and end to the step for its cache.
      nocache: '1',
    });
    const url = `${this.#http.url.replace(/\/$/, '')}/api/v1/query_range?${params}`;
    let answer: Awaited<ReturnType<RemoteHttp['send']>>;
    try {
      answer = await this.#http.send('GET', url, { accept: 'application/json' });
    } catch (err) {
      throw new PantauError(
        'METRICS_BACKEND_FAILED',
        `metrics database at ${this.#http.url}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    let body: QueryRangeAnswer;
    try {
      body = JSON.parse(answer.body) as QueryRangeAnswer;
    } catch {
      body = { status: 'error', error: answer.body.slice(0, 200) };
    }
    if (answer.status !== 200 || body.status !== 'success' || !body.data) {
      throw new PantauError(
        'METRICS_BACKEND_FAILED',
        `metrics database at ${this.#http.url} answered ${answer.status}: ${body.error ?? 'no data'}`,
      );
    }
    const values = body.data.result[0]?.values ?? [];
    return values.map(([t, v]) => [Math.round(t * 1000), Number(v)]);
  }
}
