import type { ChartSeries } from '../components/chart.tsx';
import { bytes, rate } from '../format.ts';
import type { FleetHost } from '../live.ts';

/** One chart on the host page: its history series and the live values that extend them. */
export interface HostChart {
  title: string;
  format: (v: number) => string;
  series: ChartSeries[];
  live: (h: FleetHost | null) => (number | null)[];
  yMax?: number;
}

/** The host page's charts, in page order. */
export const HOST_CHARTS: HostChart[] = [
  {
    title: 'CPU',
    yMax: 100,
    format: (v) => `${v.toFixed(0)} %`,
    series: [{ label: 'busy', metric: 'cpu', color: '#2f7ed8' }],
    live: (h) => [h?.cpu ?? null],
  },
  {
    title: 'Memory used',
    format: bytes,
    series: [{ label: 'used', metric: 'memory.used', color: '#8e44ad' }],
    live: (h) => [h?.memUsed ?? null],
  },
  {
    title: 'Disk I/O',
    format: rate,
    series: [
      { label: 'read', metric: 'disk.read', color: '#27ae60' },
      { label: 'write', metric: 'disk.write', color: '#e67e22' },
    ],
    live: (h) => [h?.diskRead ?? null, h?.diskWrite ?? null],
  },
  {
    title: 'Network',
    format: rate,
    series: [
      { label: 'received', metric: 'net.rx', color: '#16a085' },
      { label: 'sent', metric: 'net.tx', color: '#c0392b' },
    ],
    live: (h) => [h?.netRx ?? null, h?.netTx ?? null],
  },
  {
    title: 'Load',
    format: (v) => v.toFixed(2),
    series: [{ label: '1 min', metric: 'load.1', color: '#34495e' }],
    live: (h) => [h?.load1 ?? null],
  },
];
