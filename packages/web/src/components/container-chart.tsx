import type { ContainerHistoryBody } from '@pantau/collector/api-types';
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { api, errorText } from '../api.ts';
import { bytes } from '../format.ts';

const HEIGHT = 160;

/**
 * One container's CPU (% of one core, as `docker stats`) and memory over the page's range,
 * as two uPlot charts, reloaded every 15 s (the agent's container cadence).
 */
export function ContainerChart({ hostId, name, rangeMs }: { hostId: number; name: string; rangeMs: number }) {
  const cpuBox = useRef<HTMLDivElement>(null);
  const memBox = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<{ points: number; error: string | null }>({ points: 0, error: null });

  useEffect(() => {
    let cancelled = false;
    const plots: uPlot[] = [];
    const load = async () => {
      const to = Date.now();
      const [{ default: UPlot }, s] = await Promise.all([
        import('uplot'),
        api<ContainerHistoryBody>(
          `/hosts/${hostId}/containers/history?name=${encodeURIComponent(name)}&from=${to - rangeMs}&to=${to}&maxPoints=360`,
        ),
      ]);
      await import('uplot/dist/uPlot.min.css');
      if (cancelled || !cpuBox.current || !memBox.current) return;
      for (const p of plots.splice(0)) p.destroy();
      const xs = s.ts.map((t) => t / 1000);
      const draw = (
        box: HTMLDivElement,
        label: string,
        ys: number[],
        format: (v: number) => string,
        color: string,
      ) =>
        new UPlot(
          {
            width: box.clientWidth || 600,
            height: HEIGHT,
            legend: { show: true, live: false },
            cursor: { drag: { x: false, y: false } },
            axes: [{}, { values: (_u, splits) => splits.map(format), size: 70 }],
            series: [
              {},
              { label, stroke: color, width: 1.5, value: (_u, v) => (v === null ? '–' : format(v)) },
            ],
          },
          [xs, ys] as uPlot.AlignedData,
          box,
        );
      plots.push(
        draw(cpuBox.current, 'CPU, % of one core', s.cpu, (v) => `${v.toFixed(0)} %`, '#2a7ab0'),
        draw(memBox.current, 'memory', s.memory, (v) => bytes(v), '#8a4fbf'),
      );
      setState({ points: xs.length, error: null });
    };
    load().catch((err: unknown) => !cancelled && setState((st) => ({ ...st, error: errorText(err) })));
    const timer = setInterval(() => void load().catch(() => {}), 15_000);
    return () => {
      cancelled = true;
      clearInterval(timer);
      for (const p of plots) p.destroy();
    };
  }, [hostId, name, rangeMs]);

  return (
    <section class="chart" data-testid="container-chart" data-points={state.points}>
      <h3>
        {name} <small>CPU is per core, as docker stats: 200 % is two cores busy</small>
      </h3>
      {state.error && <p class="error">{state.error}</p>}
      <div ref={cpuBox} class="chart-box" />
      <div ref={memBox} class="chart-box" />
    </section>
  );
}
