import type { Snapshot } from '@pantau/shared';
import { encodeCore, MetricCatalog, type MetricName, metricNames } from '../store/metric-catalog.ts';

/**
 * Prometheus names of the stored host metrics, in base units (ratio, bytes, seconds). The
 * /metrics exposition and remote write both use this table, so a PromQL user finds the same
 * series in both.
 */
export const HOST_SERIES: Record<MetricName, { name: string; help: string; factor: number }> = {
  cpu: { name: 'pantau_host_cpu_busy_ratio', help: 'CPU busy, all cores (0-1)', factor: 0.01 },
  'cpu.user': { name: 'pantau_host_cpu_user_ratio', help: 'CPU in user mode (0-1)', factor: 0.01 },
  'cpu.system': { name: 'pantau_host_cpu_system_ratio', help: 'CPU in kernel mode (0-1)', factor: 0.01 },
  'cpu.iowait': { name: 'pantau_host_cpu_iowait_ratio', help: 'CPU waiting for I/O (0-1)', factor: 0.01 },
  'cpu.steal': {
    name: 'pantau_host_cpu_steal_ratio',
    help: 'CPU stolen by the hypervisor (0-1)',
    factor: 0.01,
  },
  'load.1': { name: 'pantau_host_load1', help: 'load average over 1 minute', factor: 1 },
  'load.5': { name: 'pantau_host_load5', help: 'load average over 5 minutes', factor: 1 },
  'load.15': { name: 'pantau_host_load15', help: 'load average over 15 minutes', factor: 1 },
  'memory.used': {
    name: 'pantau_host_memory_used_bytes',
    help: 'memory used (total - available)',
    factor: 1,
  },
  'memory.available': { name: 'pantau_host_memory_available_bytes', help: 'memory available', factor: 1 },
  'memory.total': { name: 'pantau_host_memory_total_bytes', help: 'memory installed', factor: 1 },
  'swap.used': { name: 'pantau_host_swap_used_bytes', help: 'swap used', factor: 1 },
  'disk.read': { name: 'pantau_host_disk_read_bytes_per_second', help: 'disk read rate', factor: 1 },
  'disk.write': { name: 'pantau_host_disk_write_bytes_per_second', help: 'disk write rate', factor: 1 },
  'net.rx': {
    name: 'pantau_host_network_receive_bytes_per_second',
    help: 'network receive rate, all interfaces but lo',
    factor: 1,
  },
  'net.tx': {
    name: 'pantau_host_network_transmit_bytes_per_second',
    help: 'network transmit rate, all interfaces but lo',
    factor: 1,
  },
};

/** Series with a label of their own beside `host` (per filesystem, interface, container). */
export const LABELLED_SERIES = {
  fsUsed: { name: 'pantau_host_filesystem_used_bytes', help: 'bytes used per mounted filesystem' },
  fsSize: { name: 'pantau_host_filesystem_size_bytes', help: 'size per mounted filesystem' },
  ifRx: {
    name: 'pantau_host_network_interface_receive_bytes_per_second',
    help: 'receive rate per network interface',
  },
  ifTx: {
    name: 'pantau_host_network_interface_transmit_bytes_per_second',
    help: 'transmit rate per network interface',
  },
  containerCpu: { name: 'pantau_container_cpu_ratio', help: 'container CPU, in cores (1 = one core busy)' },
  containerMemory: { name: 'pantau_container_memory_bytes', help: 'container memory used' },
} as const;

/** One sample of one snapshot: series name, labels of its own (beside the host's), value. */
export type Sample = [name: string, value: number, labels?: Record<string, string>];

/**
 * The samples of a snapshot as they were stored: core numbers are the stored integers scaled
 * back, so what a database receives equals what SQLite would keep, sample for sample.
 */
export function snapshotSamples(s: Snapshot): Sample[] {
  const out: Sample[] = [];
  const stored = encodeCore(s);
  metricNames.forEach((metric, i) => {
    const series = HOST_SERIES[metric];
    out.push([series.name, (stored[i]! / MetricCatalog[metric].scale) * series.factor]);
  });
  const L = LABELLED_SERIES;
  for (const d of s.disks ?? []) {
    out.push([L.fsUsed.name, d.used, { mount: d.mount }], [L.fsSize.name, d.size, { mount: d.mount }]);
  }
  for (const n of s.net) {
    out.push([L.ifRx.name, n.rxBps, { interface: n.iface }], [L.ifTx.name, n.txBps, { interface: n.iface }]);
  }
  for (const c of s.containers ?? []) {
    const labels = { container: c.name, image: c.image };
    out.push([L.containerCpu.name, c.cpu / 100, labels], [L.containerMemory.name, c.memory, labels]);
  }
  return out;
}

const RESERVED = new Set(['host', 'mount', 'interface', 'container', 'image', 'job', 'instance']);

/**
 * A host's labels as Prometheus labels beside `host`: names made valid (other characters
 * become `_`), and prefixed `label_` where they would clash with a series' own label.
 */
export function hostLabels(name: string, labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { host: name };
  for (const [key, value] of Object.entries(labels)) {
    let k = key.replace(/[^a-zA-Z0-9_]/g, '_');
    if (/^[0-9]/.test(k) || k.startsWith('__') || RESERVED.has(k)) k = `label_${k}`;
    out[k] = value;
  }
  return out;
}
