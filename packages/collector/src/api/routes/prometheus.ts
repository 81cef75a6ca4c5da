import type { Container, Disk, NetInterface } from '@pantau/shared';
import { LATENCY_BUCKETS } from '../../gateway/stats.ts';
import type { Severity } from '../../monitor/signals.ts';
import type { RemoteWrite } from '../../remote/index.ts';
import { HOST_SERIES, LABELLED_SERIES } from '../../remote/series.ts';
import type { LatestState } from '../../store/latest.ts';
import { dbBytes } from '../../store/maintenance.ts';
import { type MetricName, metricNames } from '../../store/metric-catalog.ts';
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
      for (const metric of metricNames) {
        const { name, help, factor } = HOST_SERIES[metric];
        e.family(name, 'gauge', help);
        for (const { host, state } of latest)
          e.sample(name, (state!.metrics as Record<MetricName, number>)[metric] * factor, { host });
      }
      const L = LABELLED_SERIES;
      const area = <T>(state: LatestState | undefined, key: 'disks' | 'net' | 'containers') =>
        (state?.areas[key]?.data ?? []) as T[];
      const perItem = <T>(
        series: { name: string; help: string },
        key: 'disks' | 'net' | 'containers',
        sample: (item: T) => [number, Record<string, string>],
      ) => {
        e.family(series.name, 'gauge', series.help);
        for (const { host, state } of latest) {
          for (const item of area<T>(state, key)) {
            const [value, labels] = sample(item);
            e.sample(series.name, value, { host, ...labels });
          }
        }
      };
      perItem<Disk>(L.fsUsed, 'disks', (d) => [d.used, { mount: d.mount }]);
      perItem<Disk>(L.fsSize, 'disks', (d) => [d.size, { mount: d.mount }]);
      perItem<NetInterface>(L.ifRx, 'net', (n) => [n.rxBps, { interface: n.iface }]);
      perItem<NetInterface>(L.ifTx, 'net', (n) => [n.txBps, { interface: n.iface }]);
      perItem<Container>(L.containerCpu, 'containers', (c) => [
        c.cpu / 100,
        { container: c.name, image: c.image },
      ]);
      perItem<Container>(L.containerMemory, 'containers', (c) => [
        c.memory,
        { container: c.name, image: c.image },
      ]);
      if (ctx.remoteWrite) remoteWriteFamilies(e, ctx.remoteWrite);
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(e.text());
    },
  );
}

/** The remote-write queue's depth, lag, failures and drops per endpoint. */
function remoteWriteFamilies(e: Exposition, remote: RemoteWrite): void {
  const lags = remote.senders.map((s) => ({ endpoint: s.name, stats: s.stats, lag: s.lag() }));
  e.single(
    'pantau_remote_write_queue_bytes',
    'gauge',
    'bytes of samples waiting for at least one endpoint',
    remote.queue.bytes,
  );
  e.family('pantau_remote_write_queue_snapshots', 'gauge', 'snapshots waiting to be sent to the endpoint');
  for (const { endpoint, lag } of lags)
    e.sample('pantau_remote_write_queue_snapshots', lag.rows, { endpoint });
  e.family(
    'pantau_remote_write_lag_seconds',
    'gauge',
    'age of the oldest sample not yet sent (0 when none wait)',
  );
  for (const { endpoint, lag } of lags)
    e.sample('pantau_remote_write_lag_seconds', lag.ms / 1000, { endpoint });
  e.family('pantau_remote_write_samples_sent_total', 'counter', 'samples the endpoint accepted');
  for (const { endpoint, stats } of lags)
    e.sample('pantau_remote_write_samples_sent_total', stats.samplesSent, { endpoint });
  e.family('pantau_remote_write_requests_total', 'counter', 'remote-write requests made');
  for (const { endpoint, stats } of lags)
    e.sample('pantau_remote_write_requests_total', stats.requests, { endpoint });
  e.family(
    'pantau_remote_write_failures_total',
    'counter',
    'requests to retry: network error, 5xx (server), 429 (throttled), 401 or 403 (auth)',
  );
  for (const { endpoint, stats } of lags) {
    for (const [kind, n] of Object.entries(stats.failures))
      e.sample('pantau_remote_write_failures_total', n, { endpoint, kind });
  }
  e.family(
    'pantau_remote_write_samples_dropped_total',
    'counter',
    'samples given up: rejected (4xx), too-old (metrics.queue.maxAge), queue-full (metrics.queue.maxBytes)',
  );
  for (const { endpoint, stats } of lags) {
    for (const [reason, n] of Object.entries(stats.dropped))
      e.sample('pantau_remote_write_samples_dropped_total', n, { endpoint, reason });
  }
}
