import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '@pantau/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_SERIES } from '../packages/collector/src/remote/series.ts';
import { MetricCatalog, metricNames } from '../packages/collector/src/store/metric-catalog.ts';
import { sampleSnapshot } from './fixtures/samples.ts';
import { RawAgent } from './support/agent-client.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { hasOpenssl, makePki } from './support/tls.ts';
import { hasTsdb, startTsdb, type Tsdb } from './support/tsdb.ts';
import { until } from './support/until.ts';

// In CI both engines must be there (.ci/run installs them); elsewhere a missing one skips.
const need = (kind: Tsdb['kind']) => !hasTsdb(kind) && process.env.CI !== 'true';

/** A snapshot whose numbers change with seq, so a sample out of place shows. */
function snapshot(seq: number, base: number): Snapshot {
  const busy = (seq * 7.31) % 100;
  return sampleSnapshot(seq, {
    ts: base + seq * 1_000,
    cpu: {
      total: busy,
      user: busy * 0.6,
      system: busy * 0.3,
      iowait: (seq % 5) / 4,
      steal: 0,
      cores: [busy],
    },
    load: { l1: seq / 100, l5: 0.3, l15: 0.25 },
    diskIo: { readBps: seq * 1_000, writeBps: 40_960 },
    disks:
      seq % 10 === 1
        ? [
            {
              mount: '/',
              device: '/dev/vda1',
              fstype: 'ext4',
              size: 52e9,
              used: 20e9 + seq,
              free: 29e9,
              usedPct: 40.8,
            },
          ]
        : undefined,
    containers: [{ id: 'c1', name: 'web', image: 'nginx:1.27', state: 'running', cpu: 12.5, memory: 64e6 }],
  });
}

type Matrix = { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };

function rangeQuery(db: Tsdb, query: string, from: number, to: number): Promise<Matrix> {
  const q = new URLSearchParams({ query, start: String(from / 1000), end: String(to / 1000), step: '1s' });
  return db.get<Matrix>(`/api/v1/query_range?${q}&nocache=1`);
}

function metricsText(t: TestApp): Promise<string> {
  return t.app
    .inject({ url: '/metrics', headers: { authorization: `Bearer ${t.adminToken}` } })
    .then((r) => r.body);
}

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

describe.each(['victoria-metrics', 'prometheus'] as const)('remote write to %s', (kind) => {
  let db: Tsdb;
  let t: TestApp;

  beforeAll(async () => {
    if (need(kind)) return;
    db = await startTsdb(kind);
    t = await startTestApp({
      metrics: { remoteWrite: [{ name: 'tsdb', url: db.writeUrl, extraLabels: { site: 'lab' } }] },
    } as never);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  it.skipIf(need(kind))(
    'sends every stored sample under the /metrics names and the host labels; PromQL reads back what SQLite stored, sample for sample',
    async () => {
      const { id, token } = t.addHost('web-1', { env: 'prod', 'team.name': 'ops' });
      const agent = await RawAgent.connect(t.wsUrl, token);
      await agent.hello();
      const base = Math.floor(Date.now() / 1000) * 1000 - 120_000;
      const count = 60;
      const snapshots = Array.from({ length: count }, (_, i) => snapshot(i + 1, base));
      agent.send({ t: 'metrics.batch', snapshots });
      await agent.waitAck(count);
      const sender = t.app.pantau.remoteWrite!.senders[0]!;
      await until('the queue drained', () => sender.lag().rows === 0);

      const stored = t.app.pantau.store.db
        .prepare('SELECT * FROM metrics_raw WHERE host = ? ORDER BY ts')
        .all(id) as Record<string, number>[];
      expect(stored).toHaveLength(count);
      for (const metric of metricNames) {
        const { name, factor } = HOST_SERIES[metric];
        const def = MetricCatalog[metric];
        const got = await until(`${name} in ${kind}`, async () => {
          const r = await rangeQuery(db, `${name}{host="web-1"}`, base + 1_000, base + count * 1_000);
          return r.data.result[0]?.values.length === count ? r.data.result[0] : null;
        });
        expect(got.metric).toMatchObject({ host: 'web-1', env: 'prod', team_name: 'ops', site: 'lab' });
        got.values.forEach(([ts, value], i) => {
          expect(ts * 1000).toBe(stored[i]!.ts);
          expect(Number(value)).toBeCloseTo((stored[i]![def.column]! / def.scale) * factor, 9);
        });
      }
      // Per-filesystem and per-container series carry their own labels beside the host's.
      const fs = await rangeQuery(db, 'pantau_host_filesystem_used_bytes', base, base + count * 1_000);
      expect(fs.data.result[0]?.metric).toMatchObject({ host: 'web-1', mount: '/' });
      expect(fs.data.result[0]?.values.map(([, v]) => Number(v))).toContain(20e9 + 1);
      const c = await rangeQuery(db, 'pantau_container_memory_bytes', base, base + count * 1_000);
      expect(c.data.result[0]?.metric).toMatchObject({
        host: 'web-1',
        container: 'web',
        image: 'nginx:1.27',
      });

      const text = await metricsText(t);
      expect(sample(text, 'pantau_remote_write_queue_snapshots', 'endpoint="tsdb"')).toBe(0);
      expect(sample(text, 'pantau_remote_write_samples_sent_total', 'endpoint="tsdb"')).toBeGreaterThan(
        count * metricNames.length,
      );
      expect(
        sample(text, 'pantau_remote_write_samples_dropped_total', 'endpoint="tsdb",reason="rejected"'),
      ).toBe(0);
      agent.close();
    },
    60_000,
  );

  // Only Prometheus refuses old samples for good; VictoriaMetrics takes them.
  if (kind === 'prometheus')
    it.skipIf(need(kind))(
      'drops a batch the database refuses for good (4xx) with a counted reason, and keeps sending what follows',
      async () => {
        const { token } = t.addHost('late-1');
        const agent = await RawAgent.connect(t.wsUrl, token);
        await agent.hello();
        const sender = t.app.pantau.remoteWrite!.senders[0]!;
        const now = Math.floor(Date.now() / 1000) * 1000;
        const delivered = (ts: number) =>
          until(`the sample at ${ts} delivered`, async () => {
            const r = await rangeQuery(db, 'pantau_host_cpu_busy_ratio{host="late-1"}', ts, ts + 2_000);
            return r.data.result[0]?.values[0]?.[0] === ts / 1000;
          });
        agent.send({ t: 'metrics', snapshot: snapshot(1, now - 20_000) });
        await delivered(now - 19_000);
        // Prometheus refuses samples older than its head block's window: a 400, never a retry.
        const old = now - 6 * 3_600_000;
        agent.send({ t: 'metrics.batch', snapshots: [snapshot(2, old), snapshot(3, old)] });
        await agent.waitAck(3);
        await until(
          'the old batch given up',
          () => sender.stats.dropped.rejected > 0 && sender.lag().rows === 0,
        );
        agent.send({ t: 'metrics', snapshot: snapshot(4, now - 10_000) });
        await delivered(now - 6_000);
        const text = await metricsText(t);
        expect(
          sample(text, 'pantau_remote_write_samples_dropped_total', 'endpoint="tsdb",reason="rejected"'),
        ).toBeGreaterThan(0);
        agent.close();
      },
      60_000,
    );
});

describe('remote write over TLS with basic auth (VictoriaMetrics -tls -httpAuth.*)', () => {
  const skipTls = need('victoria-metrics') || (!hasOpenssl() && process.env.CI !== 'true');
  const dir = mkdtempSync(join(tmpdir(), 'pantau-rw-tls-'));
  let vm: Tsdb;
  let t: TestApp;
  let wrong: TestApp;

  beforeAll(async () => {
    if (skipTls) return;
    const pki = makePki(dir, 'vm');
    vm = await startTsdb('victoria-metrics', {
      tls: pki,
      basicAuth: { username: 'pantau', password: 'right-password' },
    });
    writeFileSync(join(dir, 'password'), 'right-password\n');
    writeFileSync(join(dir, 'wrong'), 'wrong-password\n');
    const conn = (passwordFile: string) => ({
      tlsCa: pki.ca,
      basicAuth: { username: 'pantau', passwordFile: join(dir, passwordFile) },
    });
    t = await startTestApp({
      metrics: {
        store: 'remote',
        remoteWrite: [{ name: 'vm', url: vm.writeUrl, ...conn('password') }],
        query: { url: vm.url, ...conn('password') },
      },
    } as never);
    wrong = await startTestApp({
      metrics: { remoteWrite: [{ name: 'vm', url: vm.writeUrl, ...conn('wrong') }] },
    } as never);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await wrong?.close();
    await vm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skipTls)(
    'writes and reads back through the CA and credentials from files; wrong credentials keep the samples queued',
    async () => {
      const base = Math.floor(Date.now() / 1000) * 1000 - 60_000;
      for (const app of [t, wrong]) {
        const { token } = app.addHost('tls-1');
        const agent = await RawAgent.connect(app.wsUrl, token);
        await agent.hello();
        agent.send({
          t: 'metrics.batch',
          snapshots: Array.from({ length: 10 }, (_, i) => snapshot(i + 1, base)),
        });
        await agent.waitAck(10);
        agent.close();
      }
      const { id } = t.app.pantau.store.hosts.getByName('tls-1')!;
      const history = await until('history over https', async () => {
        const res = await t.app.inject({
          url: `/api/v1/hosts/${id}/history?metric=load.1&from=${base + 1_000}&to=${base + 11_000}&maxPoints=10`,
          headers: { authorization: `Bearer ${t.adminToken}` },
        });
        const body = res.json() as { tier: string; avg: number[] };
        return body.avg?.length === 10 ? body : null;
      });
      expect(history).toMatchObject({
        tier: 'remote',
        avg: Array.from({ length: 10 }, (_, i) => (i + 1) / 100),
      });

      // A wrong password is an operator's problem, not the batch's: retried, never dropped.
      const sender = wrong.app.pantau.remoteWrite!.senders[0]!;
      await until('401 answers counted', () => sender.stats.failures.auth >= 2);
      expect(sender.stats.dropped.rejected).toBe(0);
      expect(sender.lag().rows).toBe(10);
    },
    60_000,
  );
});
