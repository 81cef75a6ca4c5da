import type { Disk } from '@pantau/shared';
import { LATENCY_BUCKETS } from '../../gateway/stats.ts';
import type { Severity } from '../../monitor/signals.ts';
import { dbBytes } from '../../store/maintenance.ts';
import type { MetricName } from '../../store/metric-catalog.ts';
import type { ApiContext, TypedApp } from '../context.ts';

/** Escapes a label value for the Prometheus text format. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Exposition {
  #lines: string[] = [];
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, value: number, labels?: Record<string, string>): this {
    const l = labels
      ? `{${Object.entries(labels)
          .map(([k, v]) => `${k}="${label(v)}"`)
          .join(',')}}`
      : '';
    this.#lines.push(`${name}${l} ${Number.isFinite(value) ? value : 0}`);
    return this;
  }
  /** A family with one unlabelled sample. */
  single(name: string, type: 'counter' | 'gauge', help: string, value: number): this {
    return this.family(name, type, help).sample(name, value);
  }
  text(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

/** Latest host gauges exported per host, in base units (bytes, ratio, seconds). */
const HOST_GAUGES: [string, string, (m: Record<MetricName, number>) => number][] = [
  ['pantau_host_cpu_busy_ratio', 'CPU busy, all cores (0-1)', (m) => m.cpu / 100],
  ['pantau_host_cpu_iowait_ratio', 'CPU waiting for I/O (0-1)', (m) => m['cpu.iowait'] / 100],
  ['pantau_host_load1', 'load average over 1 minute', (m) => m['load.1']],
  ['pantau_host_load5', 'load average over 5 minutes', (m) => m['load.5']],
  ['pantau_host_load15', 'load average over 15 minutes', (m) => m['load.15']],
  ['pantau_host_memory_used_bytes', 'memory used (total - available)', (m) => m['memory.used']],
  ['pantau_host_memory_total_bytes', 'memory installed', (m) => m['memory.total']],
  ['pantau_host_swap_used_bytes', 'swap used', (m) => m['swap.used']],
  ['pantau_host_disk_read_bytes_per_second', 'disk read rate', (m) => m['disk.read']],
  ['pantau_host_disk_write_bytes_per_second', 'disk write rate', (m) => m['disk.write']],
  ['pantau_host_network_receive_bytes_per_second', 'network receive rate', (m) => m['net.rx']],
  ['pantau_host_network_transmit_bytes_per_second', 'network transmit rate', (m) => m['net.tx']],
];

/** GET /metrics: the collector's own figures plus the latest gauges of every host. */
export async function prometheusRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { store, gateway } = ctx;
  app.get(
    '/metrics',
    {
      config: { permission: ctx.config.api.metricsPublic ? 'public' : 'hosts.read' },
      schema: { tags: ['operations'], summary: 'Prometheus text exposition', produces: ['text/plain'] },
    },
    async (_req, reply) => {
      const s = gateway.stats;
      const e = new Exposition();
      e.single(
        'pantau_agents_connected',
        'gauge',
        'agents with a live, welcomed connection',
        gateway.connected,
      );
      e.single('pantau_frames_received_total', 'counter', 'frames received from agents', s.framesReceived);
      e.single(
        'pantau_frames_rejected_total',
        'counter',
        'agent frames refused (invalid, out of order, over the rate)',
        s.framesRejected,
      );
      e.single('pantau_snapshots_stored_total', 'counter', 'snapshots committed', s.snapshotsStored);
      e.single(
        'pantau_snapshots_duplicate_total',
        'counter',
        'replayed snapshots already stored (acked, not stored)',
        s.snapshotsDuplicate,
      );
      e.single(
        'pantau_agent_auth_failures_total',
        'counter',
        'agent upgrades refused for a bad or missing token',
        s.authFailures,
      );
      e.single('pantau_ingest_flushes_total', 'counter', 'ingest transactions committed', s.flushes);
      e.single(
        'pantau_ingest_flush_errors_total',
        'counter',
        'ingest transactions that failed and were retried',
        s.flushErrors,
      );
      e.single(
        'pantau_ingest_flush_seconds_total',
        'counter',
        'time spent committing ingest transactions',
        s.flushSeconds,
      );
      e.single(
        'pantau_ingest_queue_snapshots',
        'gauge',
        'snapshots received and waiting for the next commit',
        gateway.ingestQueue.depth,
      );
      e.family(
        'pantau_ingest_latency_seconds',
        'histogram',
        'time from a snapshot frame arriving to its commit',
      );
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += s.latencyCounts[i]!;
        e.sample('pantau_ingest_latency_seconds_bucket', cumulative, { le: String(le) });
      });
      e.sample('pantau_ingest_latency_seconds_bucket', s.latencyCount, { le: '+Inf' });
      e.sample('pantau_ingest_latency_seconds_sum', s.latencySum);
      e.sample('pantau_ingest_latency_seconds_count', s.latencyCount);
      e.single('pantau_db_size_bytes', 'gauge', 'database file plus write-ahead log', dbBytes(store.db));

      const { outbox, monitor } = ctx.alerting;
      e.single(
        'pantau_notify_outbox_depth',
        'gauge',
        'notifications waiting to be delivered',
        outbox.depth(),
      );
      e.single(
        'pantau_notify_outbox_oldest_age_seconds',
        'gauge',
        'age of the oldest notification waiting to be delivered (0 when none wait)',
        outbox.oldestAgeMs() / 1000,
      );
      const open: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
      for (const incident of monitor.incidents.unresolved()) open[incident.severity] += 1;
      e.family('pantau_incidents_open', 'gauge', 'incidents not yet resolved (open or acknowledged)');
      for (const [severity, count] of Object.entries(open))
        e.sample('pantau_incidents_open', count, { severity });

      const hosts = store.hosts.list(0, 1_000_000);
      e.family('pantau_host_up', 'gauge', '1 when the host has a live agent connection');
      for (const h of hosts) e.sample('pantau_host_up', gateway.isOnline(h.id) ? 1 : 0, { host: h.name });
      e.family('pantau_host_last_seen_timestamp_seconds', 'gauge', 'when the host last sent data');
      for (const h of hosts) {
        if (h.lastSeen !== null)
          e.sample('pantau_host_last_seen_timestamp_seconds', h.lastSeen / 1000, { host: h.name });
      }
      const latest = hosts
        .map((h) => ({ host: h.name, state: store.writer.latest(h.id) }))
        .filter((x) => x.state && x.state.ts > 0);
      for (const [name, help, read] of HOST_GAUGES) {
        e.family(name, 'gauge', help);
        for (const { host, state } of latest)
          e.sample(name, read(state!.metrics as Record<MetricName, number>), { host });
      }
      e.family('pantau_host_filesystem_used_bytes', 'gauge', 'bytes used per mounted filesystem');
      for (const { host, state } of latest) {
        for (const d of (state!.areas.disks?.data ?? []) as Disk[]) {
          e.sample('pantau_host_filesystem_used_bytes', d.used, { host, mount: d.mount });
        }
      }
      e.family('pantau_host_filesystem_size_bytes', 'gauge', 'size per mounted filesystem');
      for (const { host, state } of latest) {
        for (const d of (state!.areas.disks?.data ?? []) as Disk[]) {
          e.sample('pantau_host_filesystem_size_bytes', d.size, { host, mount: d.mount });
        }
      }
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(e.text());
    },
  );
}
