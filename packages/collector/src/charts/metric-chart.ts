import { PantauError, parseDuration } from '@pantau/shared';
import { systemClock } from '../clock.ts';
import type { HistorySeries, Tier } from '../store/history.ts';
import type { Host } from '../store/hosts.ts';
import type { Store } from '../store/index.ts';
import type { MetricName } from '../store/metric-catalog.ts';
import { type ChartSpec, renderChartPng } from './render.ts';
import type { ValueUnit } from './units.ts';

/** The charts a user can ask for, each one or more stored metrics sharing a unit. */
export const CHARTS = {
  cpu: {
    title: 'CPU',
    unit: '%',
    lines: [
      ['cpu', 'busy'],
      ['cpu.iowait', 'iowait'],
    ],
  },
  memory: {
    title: 'Memory',
    unit: 'bytes',
    lines: [
      ['memory.used', 'used'],
      ['memory.total', 'total'],
    ],
  },
  disk: {
    title: 'Disk I/O',
    unit: 'bytes/s',
    lines: [
      ['disk.read', 'read'],
      ['disk.write', 'write'],
    ],
  },
  net: {
    title: 'Network',
    unit: 'bytes/s',
    lines: [
      ['net.rx', 'received'],
      ['net.tx', 'sent'],
    ],
  },
  load: {
    title: 'Load average',
    unit: 'load',
    lines: [
      ['load.1', '1 min'],
      ['load.5', '5 min'],
      ['load.15', '15 min'],
    ],
  },
} as const satisfies Record<
  string,
  { title: string; unit: ValueUnit; lines: readonly (readonly [MetricName, string])[] }
>;

export type ChartName = keyof typeof CHARTS;
export const CHART_NAMES = Object.keys(CHARTS) as ChartName[];
export const CHART_RANGES = ['1h', '6h', '24h', '7d', '30d'] as const;
export type ChartRange = (typeof CHART_RANGES)[number];

export function isChartName(value: string): value is ChartName {
  return Object.hasOwn(CHARTS, value);
}

export function isChartRange(value: string): value is ChartRange {
  return (CHART_RANGES as readonly string[]).includes(value);
}

/** Buckets per chart: about one every 2.5 px of an 800 px plot. */
const MAX_POINTS = 300;

const TIER_TEXT: Record<Tier | 'remote', string> = {
  raw: 'raw samples',
  '1m': '1-min rollups',
  '1h': '1-hour rollups',
  remote: 'metrics database',
};

export interface MetricChartRequest {
  chart: ChartName;
  host: Pick<Host, 'id' | 'name'>;
  range: ChartRange;
  /** End of the range, epoch ms. Default now. */
  now?: number;
  timeZone?: string;
}

/** What a chart shows: the spec to draw plus whether there was any data at all. */
export interface MetricChart {
  spec: ChartSpec;
  points: number;
}

/** Reads the chart's metrics from history (rollups beyond the raw range) and builds the spec. */
export async function metricChart(
  store: Pick<Store, 'metricHistory'>,
  request: MetricChartRequest,
): Promise<MetricChart> {
  const def = CHARTS[request.chart];
  const to = request.now ?? systemClock();
  const from = to - parseDuration(request.range);
  const read = await Promise.all(
    def.lines.map(([metric]) =>
      store.metricHistory.read({ hostId: request.host.id, metric, from, to, maxPoints: MAX_POINTS }, to),
    ),
  );
  const lines = def.lines.map(([, name], i) => ({ name, ts: read[i]!.ts, values: read[i]!.avg }));
  const series: HistorySeries | undefined = read.at(-1);
  if (series === undefined) throw new PantauError('INTERNAL', 'a chart needs at least one metric');
  const zone = request.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const step = series.tier === 'raw' ? '' : `, ${formatStep(series.step)} averages`;
  return {
    points: lines.reduce((n, l) => n + l.ts.length, 0),
    spec: {
      title: `${def.title} · ${request.host.name}`,
      subtitle: `last ${request.range} · ${TIER_TEXT[series.tier]}${step} · ${zone}`,
      unit: def.unit,
      lines,
      from,
      to,
      timeZone: zone,
    },
  };
}

function formatStep(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}-s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}-min`;
  return `${Math.round(ms / 3_600_000)}-h`;
}

/** Reads and draws in one call: PNG bytes plus how many points were drawn. */
export async function renderMetricChart(
  store: Pick<Store, 'metricHistory'>,
  request: MetricChartRequest,
): Promise<{ png: Buffer; points: number; spec: ChartSpec }> {
  const chart = await metricChart(store, request);
  return { png: renderChartPng(chart.spec), points: chart.points, spec: chart.spec };
}
