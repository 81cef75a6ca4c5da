import type { Snapshot } from '@pantau/shared';

/**
 * The core numbers kept per snapshot, one column each. Values are stored as integers in a
 * scaled unit (hundredths of a percent, KiB) because SQLite stores small integers in 1–4 bytes
 * where a REAL always takes 8: this is most of what keeps a host-day under 2 MB.
 */
export interface MetricDef {
  /** Column name in metrics_raw; rollups use `<column>_sum` and `<column>_max`. */
  column: string;
  unit: '%' | 'bytes' | 'bytes/s' | 'load';
  /** Stored integer = round(value × scale). */
  scale: number;
  read(s: Snapshot): number;
  help: string;
}

const pct = (column: string, read: (s: Snapshot) => number, help: string): MetricDef => ({
  column,
  unit: '%',
  scale: 100,
  read,
  help,
});
const kib = (column: string, read: (s: Snapshot) => number, help: string): MetricDef => ({
  column,
  unit: 'bytes',
  scale: 1 / 1024,
  read,
  help,
});
const rate = (column: string, read: (s: Snapshot) => number, help: string): MetricDef => ({
  column,
  unit: 'bytes/s',
  scale: 1,
  read,
  help,
});
const load = (column: string, read: (s: Snapshot) => number, help: string): MetricDef => ({
  column,
  unit: 'load',
  scale: 100,
  read,
  help,
});

const netSum = (s: Snapshot, key: 'rxBps' | 'txBps') =>
  s.net.reduce((sum, n) => (n.iface === 'lo' ? sum : sum + n[key]), 0);

/** Metric name (as used by the history API and /metrics) → definition. Order is the column order. */
export const MetricCatalog = {
  cpu: pct('cpu', (s) => s.cpu.total, 'CPU busy, all cores'),
  'cpu.user': pct('cpu_user', (s) => s.cpu.user, 'CPU in user mode'),
  'cpu.system': pct('cpu_system', (s) => s.cpu.system, 'CPU in kernel mode'),
  'cpu.iowait': pct('cpu_iowait', (s) => s.cpu.iowait, 'CPU waiting for I/O'),
  'cpu.steal': pct('cpu_steal', (s) => s.cpu.steal, 'CPU stolen by the hypervisor'),
  'load.1': load('load1', (s) => s.load.l1, 'load average over 1 minute'),
  'load.5': load('load5', (s) => s.load.l5, 'load average over 5 minutes'),
  'load.15': load('load15', (s) => s.load.l15, 'load average over 15 minutes'),
  'memory.used': kib('mem_used', (s) => s.memory.used, 'memory used (total - available)'),
  'memory.available': kib('mem_available', (s) => s.memory.available, 'memory available'),
  'memory.total': kib('mem_total', (s) => s.memory.total, 'memory installed'),
  'swap.used': kib('swap_used', (s) => s.swap.used, 'swap used'),
  'disk.read': rate('disk_read', (s) => s.diskIo?.readBps ?? 0, 'disk read rate, all devices'),
  'disk.write': rate('disk_write', (s) => s.diskIo?.writeBps ?? 0, 'disk write rate, all devices'),
  'net.rx': rate('net_rx', (s) => netSum(s, 'rxBps'), 'network receive rate, all interfaces but lo'),
  'net.tx': rate('net_tx', (s) => netSum(s, 'txBps'), 'network transmit rate, all interfaces but lo'),
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof MetricCatalog;
export const metricNames = Object.keys(MetricCatalog) as MetricName[];
export const metricDefs: MetricDef[] = Object.values(MetricCatalog);

/** The stored integers for one snapshot, in catalog order, written into `out` from `offset`. */
export function encodeCore(s: Snapshot): number[];
export function encodeCore(s: Snapshot, out: Float64Array, offset: number): Float64Array;
export function encodeCore(
  s: Snapshot,
  out: number[] | Float64Array = [],
  offset = 0,
): number[] | Float64Array {
  for (let i = 0; i < metricDefs.length; i++) {
    const d = metricDefs[i]!;
    out[offset + i] = Math.round(d.read(s) * d.scale);
  }
  return out;
}
