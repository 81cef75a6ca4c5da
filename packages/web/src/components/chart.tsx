import type { MetricHistoryBody, MetricName } from '@pantau/collector/api-types';
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { api, errorText } from '../api.ts';
import { gapLimit, withGaps } from './chart-data.ts';

export interface ChartSeries {
  label: string;
  metric: MetricName;
  color: string;
}

export interface ChartProps {
  hostId: number;
  title: string;
  series: ChartSeries[];
  rangeMs: number;
  format: (v: number) => string;
  /** The host's latest values for these series, appended as they arrive on short ranges. */
  live: { ts: number | null; values: (number | null)[] };
  /** Fixed y range (e.g. 0–100 for %), else uPlot fits the data. */
  yMax?: number;
}

// Live points are appended on ranges the raw tier serves; longer ones reload every minute.
const LIVE_RANGE = 6 * 3_600_000;

/** The x axis: from now − range to now, in seconds. */
function xRange(rangeMs: number): [number, number] {
  const now = Date.now() / 1000;
  return [now - rangeMs / 1000, now];
}

/** One uPlot time series chart: history from the API, then live points from the stream. */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const section = useRef<HTMLElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useRef<(number | null)[][]>([]);
  const [state, setState] = useState<{ points: number; tier: string; error: string | null }>({
    points: 0,
    tier: '',
    error: null,
  });

  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      const to = Date.now();
      const from = to - props.rangeMs;
      const [{ default: UPlot }, ...histories] = await Promise.all([
        import('uplot'),
        ...props.series.map((s) =>
          api<MetricHistoryBody>(
            `/hosts/${props.hostId}/history?metric=${s.metric}&from=${from}&to=${to}&maxPoints=360`,
          ),
        ),
      ]);
      await import('uplot/dist/uPlot.min.css');
      if (cancelled || !box.current) return;
      const first = histories[0]!;
      const ys = histories.map((h) => {
        const byTs = new Map(h.ts.map((t, i) => [t, h.avg[i]!]));
        return first.ts.map((t) => byTs.get(t) ?? null);
      });
      data.current = withGaps(
        first.ts.map((t) => t / 1000),
        ys,
      );
      plot.current?.destroy();
      plot.current = new UPlot(
        {
          width: box.current.clientWidth || 600,
          height: 180,
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false } },
          scales: {
            // The chosen range, not the data's extent: a young host's few points sit at the right
            // end of a 30-day axis, as the bot's charts draw them.
            x: { time: true, auto: true, range: () => xRange(props.rangeMs) },
            y: props.yMax ? { range: [0, props.yMax] } : { auto: true },
          },
          hooks: {
            setScale: [
              (u, key) => {
                if (key !== 'x' || !section.current) return;
                section.current.dataset.xMin = String(Math.round(u.scales.x!.min ?? 0));
                section.current.dataset.xMax = String(Math.round(u.scales.x!.max ?? 0));
              },
            ],
          },
          axes: [{}, { values: (_u, splits) => splits.map(props.format), size: 70 }],
          series: [
            {},
            ...props.series.map((s) => ({
              label: s.label,
              stroke: s.color,
              width: 1.5,
              value: (_u: uPlot, v: number | null) => (v === null ? '–' : props.format(v)),
            })),
          ],
        },
        data.current as uPlot.AlignedData,
        box.current,
      );
      setState({ points: first.ts.length, tier: first.tier, error: null });
    };
    load().catch((err: unknown) => !cancelled && setState((s) => ({ ...s, error: errorText(err) })));
    const reload = props.rangeMs > LIVE_RANGE ? setInterval(() => void load().catch(() => {}), 60_000) : null;
    const resize = new ResizeObserver(() => {
      if (plot.current && box.current) plot.current.setSize({ width: box.current.clientWidth, height: 180 });
    });
    if (box.current) resize.observe(box.current);
    return () => {
      cancelled = true;
      if (reload) clearInterval(reload);
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.hostId, props.rangeMs, props.series.map((s) => s.metric).join()]);

  useEffect(() => {
    const { ts, values } = props.live;
    const d = data.current;
    if (!plot.current || ts === null || props.rangeMs > LIVE_RANGE || d.length === 0) return;
    const x = ts / 1000;
    const xs = d[0] as number[]; // times are never null; only values are
    const last = xs[xs.length - 1];
    if (last !== undefined && x <= last) return;
    // Back after a silence (an agent reconnecting): break the line rather than bridge the gap.
    const limit = gapLimit(xs);
    if (last !== undefined && limit !== null && x - last > limit) {
      xs.push((x + last) / 2);
      for (const col of d.slice(1)) col.push(null);
    }
    xs.push(x);
    for (const [i, v] of values.entries()) d[i + 1]!.push(v ?? null);
    // Drop what has scrolled out of the range.
    const cut = x - props.rangeMs / 1000;
    while (xs.length > 0 && xs[0]! < cut) for (const col of d) col.shift();
    plot.current.setData(d as uPlot.AlignedData);
    setState((s) => ({ ...s, points: xs.length }));
  }, [props.live.ts]);

  return (
    <section
      ref={section}
      class="chart"
      data-points={state.points}
      data-tier={state.tier}
      data-metric={props.series[0]?.metric}
    >
      <h3>
        {props.title} <small>{state.tier && `${state.tier} data`}</small>
      </h3>
      {state.error && <p class="error">{state.error}</p>}
      <div ref={box} class="chart-box" />
    </section>
  );
}
