import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullSnapshot } from './fixtures/samples.ts';
import { RawAgent } from './support/agent-client.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { hasTsdb, startTsdb, type Tsdb } from './support/tsdb.ts';
import { until } from './support/until.ts';

const skip = !hasTsdb('victoria-metrics') && process.env.CI !== 'true';
const DIR = join(import.meta.dirname, '..', 'deploy', 'grafana');
const HOST = 'dash-1';

interface Dashboard {
  uid: string;
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; type: string; definition?: string }[] };
}

const dashboards = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, dash: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Dashboard }));

/** Grafana's variables as Grafana would expand them for one host and a 1-hour range. */
function expand(expr: string): string {
  return expr.replaceAll('$__range', '1h').replaceAll('$host', HOST);
}

describe('Grafana dashboards in deploy/grafana', () => {
  let vm: Tsdb;
  let t: TestApp;
  const now = Math.floor(Date.now() / 1000) * 1000;

  beforeAll(async () => {
    if (skip) return;
    vm = await startTsdb('victoria-metrics');
    t = await startTestApp({ metrics: { remoteWrite: [{ url: vm.writeUrl }] } } as never);
    const { token } = t.addHost(HOST, { env: 'test' });
    const agent = await RawAgent.connect(t.wsUrl, token);
    await agent.hello();
    // Ten minutes of snapshots with every area: disks, interfaces, containers.
    const snapshots = Array.from({ length: 60 }, (_, i) => ({
      ...fullSnapshot(i + 1),
      ts: now - 600_000 + i * 10_000,
      containers: [
        { id: 'a', name: 'web', image: 'nginx:1.27', state: 'running', cpu: 20, memory: 64e6 },
        { id: 'b', name: 'db', image: 'postgres:17', state: 'running', cpu: 5, memory: 512e6 },
      ],
    }));
    agent.send({ t: 'metrics.batch', snapshots });
    await agent.waitAck(60);
    await until('the queue drained', () => t.app.pantau.remoteWrite!.senders[0]!.lag().rows === 0);
    agent.close();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await vm?.close();
  });

  it('ships the fleet, host and container dashboards', () => {
    expect(dashboards.map((d) => d.dash.uid).sort()).toEqual([
      'pantau-containers',
      'pantau-fleet',
      'pantau-host',
    ]);
  });

  it.skipIf(skip)(
    "every panel's every query returns data from VictoriaMetrics",
    async () => {
      const empty: string[] = [];
      let queries = 0;
      for (const { file, dash } of dashboards) {
        for (const panel of dash.panels) {
          for (const target of panel.targets) {
            const q = new URLSearchParams({
              query: expand(target.expr),
              start: String((now - 900_000) / 1000),
              end: String(now / 1000),
              step: '60s',
            });
            // Data becomes searchable a moment after it arrives: retry briefly before calling it empty.
            const ok = await until(
              `${file} "${panel.title}"`,
              async () => {
                const r = await vm.get<{ data: { result: { values: [number, string][] }[] } }>(
                  `/api/v1/query_range?${q}&nocache=1`,
                );
                return r.data.result.some((s) => s.values.length > 0);
              },
              10_000,
            ).catch(() => false);
            queries++;
            if (!ok) empty.push(`${file} "${panel.title}": ${target.expr}`);
          }
        }
      }
      expect(empty).toEqual([]);
      expect(queries).toBeGreaterThanOrEqual(20);
    },
    120_000,
  );

  it.skipIf(skip)('the host variable lists the host', async () => {
    for (const { dash } of dashboards) {
      for (const v of dash.templating.list.filter((x) => x.type === 'query')) {
        const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(v.definition ?? '') ?? [];
        expect(metric, `${dash.uid} ${v.name}`).toBeDefined();
        const r = await vm.get<{ data: string[] }>(
          `/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': metric! })}`,
        );
        expect(r.data).toContain(HOST);
      }
    }
  });
});
