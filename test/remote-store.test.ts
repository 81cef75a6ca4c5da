import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleSnapshot } from './fixtures/samples.ts';
import { RawAgent } from './support/agent-client.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { hasTsdb, startTsdb, type Tsdb } from './support/tsdb.ts';
import { until } from './support/until.ts';

const skip = !hasTsdb('victoria-metrics') && process.env.CI !== 'true';

interface History {
  tier: string;
  step: number;
  ts: number[];
  avg: number[];
  max: number[];
}

describe('metrics.store: remote', () => {
  let vm: Tsdb;
  let t: TestApp;

  beforeAll(async () => {
    if (skip) return;
    vm = await startTsdb('victoria-metrics');
    t = await startTestApp({
      metrics: { store: 'remote', remoteWrite: [{ url: vm.writeUrl }], query: { url: vm.url } },
      monitor: { thresholds: [{ id: 'cpu-high', metric: 'cpu', above: 80, for: '2s', severity: 'warning' }] },
    } as never);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await vm?.close();
  });

  it.skipIf(skip)(
    'keeps metric rows out of SQLite, answers history from the database, and still detects from the live stream',
    async () => {
      const { id, token } = t.addHost('remote-1');
      const agent = await RawAgent.connect(t.wsUrl, token);
      await agent.hello();
      const base = Math.floor(Date.now() / 1000) * 1000 - 20_000;
      const busy = (seq: number, ts: number) =>
        sampleSnapshot(seq, {
          ts,
          cpu: { total: 90 + (seq % 2), user: 80, system: 10, iowait: 0, steal: 0, cores: [90] },
        });
      agent.send({
        t: 'metrics.batch',
        snapshots: Array.from({ length: 20 }, (_, i) => busy(i + 1, base + i * 1_000)),
      });
      await agent.waitAck(20);

      // Detection runs on the live stream: the CPU rule fires although no metric row is written.
      let seq = 21;
      const incident = await until('the cpu-high incident', () => {
        agent.send({ t: 'metrics', snapshot: busy(seq++, Date.now()) });
        return t.app.pantau.alerting.monitor.incidents
          .unresolved()
          .find((i) => i.hostId === id && i.key.startsWith('threshold:cpu-high'));
      });
      expect(incident.severity).toBe('warning');
      const db = t.app.pantau.store.db;
      for (const table of ['metrics_raw', 'metrics_1m', 'metrics_1h'])
        expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });

      const api = (path: string) =>
        t.app.inject({ url: `/api/v1${path}`, headers: { authorization: `Bearer ${t.adminToken}` } });
      const from = base;
      const to = base + 20_000;
      const history = await until('history from VictoriaMetrics', async () => {
        const res = await api(`/hosts/${id}/history?metric=cpu&from=${from}&to=${to}&maxPoints=10`);
        const body = res.json() as History;
        return res.statusCode === 200 && body.ts.length === 10 ? body : null;
      });
      // 2-s buckets from `from`, each the mean and the max of its two samples (90 and 91).
      expect(history).toMatchObject({ tier: 'remote', step: 2_000 });
      expect(history.ts).toEqual(Array.from({ length: 10 }, (_, i) => from + i * 2_000));
      expect(history.avg).toEqual(Array(10).fill(90.5));
      expect(history.max).toEqual(Array(10).fill(91));

      // The latest numbers on /metrics come from the live state, as with SQLite.
      const text = (
        await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${t.adminToken}` } })
      ).body;
      expect(text).toMatch(/^pantau_host_cpu_busy_ratio\{host="remote-1"\} 0\.91?$/m);

      // With the database gone, history says so instead of answering an empty chart.
      await vm.stop();
      const down = await api(`/hosts/${id}/history?metric=cpu&from=${from}&to=${to}`);
      expect(down.statusCode).toBe(502);
      expect(down.json()).toMatchObject({ error: { code: 'METRICS_BACKEND_FAILED' } });
      agent.close();
    },
    60_000,
  );
});
