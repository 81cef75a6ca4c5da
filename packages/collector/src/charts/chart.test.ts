import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { hasTsdb, startTsdb, type Tsdb } from '../../../../test/support/tsdb.ts';
import { until } from '../../../../test/support/until.ts';
import { loadConfig } from '../config/index.ts';
import { EventBus } from '../events.ts';
import { RemoteHttp } from '../remote/http.ts';
import { RemoteWrite } from '../remote/index.ts';
import { PrometheusHistory } from '../remote/prom-history.ts';
import { Store } from '../store/index.ts';
import { metricChart, renderMetricChart } from './metric-chart.ts';
import { renderChartPng } from './render.ts';
import { formatBytes, formatValue } from './units.ts';

const HOUR = 3_600_000;
const retention = { raw: 48 * HOUR, minute: 30 * 24 * HOUR, hour: 365 * 24 * HOUR };

/** Pixels that are neither white nor near-white, in a rectangle of the image. */
function inked(png: PNG, x0: number, y0: number, x1: number, y1: number, test = isInk): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (png.width * y + x) * 4;
      if (test(png.data[i]!, png.data[i + 1]!, png.data[i + 2]!)) n += 1;
    }
  }
  return n;
}
const isInk = (r: number, g: number, b: number) => r + g + b < 600;
/** The first series colour, #2563eb, with anti-aliasing slack. */
const isBlue = (r: number, g: number, b: number) => b > 180 && r < 120 && g < 160;

/**
 * A store the charts read from: SQLite's own tiers, or (`metrics.store: remote`) a real
 * VictoriaMetrics fed over remote write and read back through its query API.
 */
interface Harness {
  store: Store;
  /** Writes snapshots and waits until the charts can read them. */
  write(batch: Parameters<Store['writer']['write']>[0]): Promise<void>;
  close(): Promise<void>;
}

async function sqliteHarness(dir: string): Promise<Harness> {
  const store = new Store({ dataDir: dir, busyTimeout: 1_000, retention: { ...retention, chunkRows: 1000 } });
  return {
    store,
    write: async (batch) => {
      store.writer.write(batch);
    },
    close: async () => store.close(),
  };
}

async function remoteHarness(dir: string, vm: Tsdb): Promise<Harness> {
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      metrics: { store: 'remote', remoteWrite: [{ url: vm.writeUrl }], query: { url: vm.url } },
    } as never,
  });
  const http = new RemoteHttp(config.metrics.query!);
  const store = new Store({
    dataDir: dir,
    busyTimeout: 1_000,
    retention: { ...retention, chunkRows: 1000 },
    metricRows: false,
    metricHistory: (hosts) => new PrometheusHistory(http, hosts),
  });
  const remote = new RemoteWrite({
    metrics: config.metrics,
    store,
    events: new EventBus(() => {}),
    log: pino({ level: 'silent' }),
  });
  remote.start();
  return {
    store,
    write: async (batch) => {
      store.writer.write(batch);
      for (const s of remote.senders) s.wake();
      const last = batch.at(-1)!;
      const host = store.hosts.get(last.hostId)!.name;
      await until('the samples in VictoriaMetrics', async () => {
        if (remote.senders[0]!.lag().rows > 0) return false;
        const q = encodeURIComponent(`pantau_host_cpu_busy_ratio{host=${JSON.stringify(host)}}`);
        const r = await vm.get<{ data: { result: unknown[] } }>(
          `/api/v1/query?query=${q}&time=${last.snapshot.ts / 1000}&nocache=1`,
        );
        return r.data.result.length > 0;
      });
    },
    close: async () => {
      await remote.stop();
      await http.close();
      expect(store.db.prepare('SELECT count(*) AS n FROM metrics_raw').get()).toEqual({ n: 0 });
      store.close();
    },
  };
}

const stores = [
  { name: 'sqlite', tiers: { day: '1-min rollups', month: '1-hour rollups' } },
  { name: 'remote (VictoriaMetrics)', tiers: { day: 'metrics database', month: 'metrics database' } },
] as const;

describe.each(stores)('charts from the $name store', ({ name, tiers }) => {
  const remote = name !== 'sqlite';
  let vm: Tsdb | null = null;
  let dir: string;
  let h: Harness | undefined;
  let store: Store;

  beforeAll(async () => {
    if (remote && hasTsdb('victoria-metrics')) vm = await startTsdb('victoria-metrics');
  }, 60_000);
  afterAll(async () => {
    await vm?.close();
  });
  beforeEach(async (ctx) => {
    if (remote && !vm) {
      if (process.env.CI) throw new Error('victoria-metrics is not installed (.ci/run installs it)');
      return ctx.skip('victoria-metrics is not installed');
    }
    dir = mkdtempSync(join(tmpdir(), 'pantau-chart-'));
    const harness = remote ? await remoteHarness(dir, vm!) : await sqliteHarness(dir);
    h = harness;
    store = harness.store;
  });
  afterEach(async () => {
    if (!h) return;
    await h.close();
    rmSync(dir, { recursive: true, force: true });
    h = undefined;
  });

  async function writeDay(hostId: number, now: number): Promise<void> {
    // One snapshot a minute for 24 h, CPU swinging between 10 and 90 %.
    const batch = [];
    for (let i = 0; i < 1440; i++) {
      const ts = now - 24 * HOUR + i * 60_000;
      const total = 50 + 40 * Math.sin(i / 60);
      batch.push({
        hostId,
        receivedAt: ts,
        snapshot: sampleSnapshot(i + 1, {
          ts,
          cpu: { total, user: total * 0.7, system: total * 0.3, iowait: 1, steal: 0, cores: [total] },
        }),
      });
    }
    await h!.write(batch);
  }

  it('draws a 24 h CPU chart: 800 × 400 PNG with a title, axis text and a line', async () => {
    const now = Date.now();
    const { host } = store.hosts.add('web-1', {});
    await writeDay(host.id, now);
    const { png, points, spec } = await renderMetricChart(store, {
      chart: 'cpu',
      host,
      range: '24h',
      now,
      timeZone: 'UTC',
    });
    expect(spec.title).toBe('CPU · web-1');
    expect(spec.subtitle).toMatch(new RegExp(`^last 24h · ${tiers.day}, \\d+-min averages · UTC$`));
    expect(points).toBeGreaterThan(250);
    const image = PNG.sync.read(png);
    expect([image.width, image.height]).toEqual([800, 400]);
    // Title text top left, y-axis labels on the left, the busy line (blue) inside the plot.
    expect(inked(image, 0, 0, 300, 40)).toBeGreaterThan(150);
    expect(inked(image, 0, 70, 78, 360)).toBeGreaterThan(200);
    expect(inked(image, 82, 72, 776, 358, isBlue)).toBeGreaterThan(1_000);
  });

  it('draws the axes and title but no line for a host without data', async () => {
    const { host } = store.hosts.add('empty-1', {});
    const { png, points } = await renderMetricChart(store, { chart: 'cpu', host, range: '1h' });
    expect(points).toBe(0);
    const image = PNG.sync.read(png);
    expect(inked(image, 0, 0, 300, 40)).toBeGreaterThan(150);
    expect(inked(image, 82, 72, 776, 358, isBlue)).toBe(0);
  });

  it('draws the point when the range holds a single sample', async () => {
    const { host } = store.hosts.add('young-1', {});
    const now = Date.now();
    await h!.write([
      { hostId: host.id, receivedAt: now - 60_000, snapshot: sampleSnapshot(1, { ts: now - 60_000 }) },
    ]);
    const { png, spec } = await renderMetricChart(store, { chart: 'cpu', host, range: '7d', now });
    expect(spec.lines.map((l) => l.ts.length)).toEqual(spec.lines.map(() => 1));
    expect(inked(PNG.sync.read(png), 82, 72, 776, 358, isBlue)).toBeGreaterThan(20);
  });

  it('reads 30 days in coarse buckets and names where they came from', async () => {
    const now = Date.now();
    const { host } = store.hosts.add('web-2', {});
    await writeDay(host.id, now);
    const chart = await metricChart(store, {
      chart: 'memory',
      host,
      range: '30d',
      now,
      timeZone: 'UTC',
    });
    expect(chart.spec.subtitle).toContain(tiers.month);
    expect(chart.spec.unit).toBe('bytes');
    expect(chart.spec.lines.map((l) => l.name)).toEqual(['used', 'total']);
    // 24 h of data in 2.4 h buckets: about ten points on each of the two lines.
    expect(chart.points).toBeGreaterThanOrEqual(20);
  });
});

describe('chart drawing', () => {
  it('escapes hostile host names: the SVG stays well-formed and the PNG renders', () => {
    const to = Date.now();
    const png = renderChartPng({
      title: 'CPU · <img src=x onerror=alert(1)> & "web"',
      subtitle: 'last 1h',
      unit: 'load',
      lines: [{ name: '<b>1 min</b>', ts: [to - 60_000, to], values: [1, 2] }],
      from: to - HOUR,
      to,
      timeZone: 'Asia/Jakarta',
    });
    expect(PNG.sync.read(png).width).toBe(800);
  });

  it('formats values for people', () => {
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(formatValue(12.345, '%')).toBe('12 %');
    expect(formatValue(0, '%')).toBe('0 %');
    expect(formatValue(2048, 'bytes/s')).toBe('2.0 KiB/s');
    expect(formatValue(0.5, 'load')).toBe('0.50');
  });
});
