import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { formatValue, type ValueUnit } from './units.ts';

export interface ChartLine {
  name: string;
  /** Bucket starts, epoch ms. */
  ts: readonly number[];
  values: readonly number[];
}

export interface ChartSpec {
  title: string;
  /** Second line under the title, e.g. "last 24 h · 5-min averages · Europe/Berlin". */
  subtitle: string;
  unit: ValueUnit;
  lines: readonly ChartLine[];
  /** Time axis range, epoch ms. */
  from: number;
  to: number;
  /** IANA zone the time axis is drawn in. Default: the collector's own zone. */
  timeZone?: string;
  /** Pixels. Default 800 × 400. */
  width?: number;
  height?: number;
}

export const CHART_FONT_FAMILY = 'DejaVu Sans';

// resvg draws no text without a font, and the machine may have none: ship DejaVu Sans.
const FONT_FILE = join(
  dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
  'ttf',
  'DejaVuSans.ttf',
);

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];

/** The chart as an SVG document, drawn by ECharts' server-side renderer. */
export function renderChartSvg(spec: ChartSpec): string {
  const width = spec.width ?? 800;
  const height = spec.height ?? 400;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  const zone = spec.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const span = spec.to - spec.from;
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      color: PALETTE,
      textStyle: { fontFamily: CHART_FONT_FAMILY },
      title: {
        text: spec.title,
        subtext: spec.subtitle,
        left: 16,
        top: 8,
        textStyle: { fontSize: 16, fontFamily: CHART_FONT_FAMILY },
        subtextStyle: { fontSize: 11, color: '#555555', fontFamily: CHART_FONT_FAMILY },
      },
      legend: {
        show: spec.lines.length > 1,
        right: 16,
        top: 12,
        textStyle: { fontFamily: CHART_FONT_FAMILY },
      },
      grid: { left: 80, right: 24, top: 70, bottom: 40 },
      xAxis: {
        type: 'time',
        min: spec.from,
        max: spec.to,
        axisLabel: { formatter: (v: number) => timeLabel(v, span, zone), hideOverlap: true },
        splitLine: { show: false },
      },
      yAxis: {
        type: 'value',
        min: 0,
        ...(spec.unit === '%' ? { max: 100 } : {}),
        axisLabel: { formatter: (v: number) => formatValue(v, spec.unit) },
      },
      series: spec.lines.map((line) => ({
        name: line.name,
        type: 'line',
        // A lone sample has no segment to draw: show it as a dot instead of a blank chart.
        showSymbol: line.ts.length === 1,
        symbolSize: 8,
        lineStyle: { width: 2 },
        data: line.ts.map((t, i) => [t, line.values[i]]),
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The chart as PNG bytes: ECharts SVG rasterised by resvg with the shipped font. */
export function renderChartPng(spec: ChartSpec): Buffer {
  const svg = renderChartSvg(spec);
  const resvg = new Resvg(svg, {
    font: { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "14:05" within a day, "3 Mar, 14" within a week, "3 Mar" beyond, in the given zone. */
function timeLabel(ms: number, span: number, timeZone: string): string {
  const scale = span <= 86_400_000 ? 'day' : span <= 7 * 86_400_000 ? 'week' : 'month';
  const key = `${scale}:${timeZone}`;
  let format = formatters.get(key);
  if (format === undefined) {
    const options: Intl.DateTimeFormatOptions =
      scale === 'day'
        ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
        : scale === 'week'
          ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
          : { month: 'short', day: 'numeric' };
    format = new Intl.DateTimeFormat('en-GB', { ...options, timeZone });
    formatters.set(key, format);
  }
  return format.format(ms);
}
