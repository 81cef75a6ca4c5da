import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleSnapshot } from './fixtures/samples.ts';
import { RawAgent } from './support/agent-client.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { hasTsdb, startTsdb, type Tsdb } from './support/tsdb.ts';
import { until } from './support/until.ts';

/**
 * How many snapshots queue up while the database is down and agents keep sending (half before
 * the collector restart, half after). The queue cares how much waits, not how long: the load sends
 * about 250 a second, so the default is a few seconds; PANTAU_OUTAGE_SNAPSHOTS=15000 is a minute.
 */
const OUTAGE_SNAPSHOTS = Number(process.env.PANTAU_OUTAGE_SNAPSHOTS ?? 1_000);
const HOSTS = 5;
const BATCH = 5;
const skip = !hasTsdb('victoria-metrics') && process.env.CI !== 'true';

/** Agents that keep sending numbered snapshots (BATCH per frame, one frame each 100 ms). */
class Load {
  agents: RawAgent[] = [];
  next: number[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #base: number;

  constructor(base: number) {
    this.#base = base;
  }

  async connect(t: TestApp, tokens: string[]): Promise<void> {
    this.agents = await Promise.all(tokens.map((token) => RawAgent.connect(t.wsUrl, token)));
    const welcomes = await Promise.all(this.agents.map((a) => a.hello()));
    this.next = welcomes.map((w) => w.lastSeq + 1);
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.agents.forEach((agent, i) => {
        const first = this.next[i]!;
        const snapshots = Array.from({ length: BATCH }, (_, k) =>
          sampleSnapshot(first + k, {
            ts: this.#base + (first + k) * 1_000,
            cpu: { total: (first + k) % 100, user: 1, system: 1, iowait: 0, steal: 0, cores: [1] },
          }),
        );
        this.next[i] = first + BATCH;
        agent.send({ t: 'metrics.batch', snapshots });
      });
    }, 100);
  }

  /** Stops sending and waits until every sent snapshot was acked (so it is queued durably). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all(this.agents.map((a, i) => a.waitAck(this.next[i]! - 1, 15_000)));
  }

  close(): void {
    for (const a of this.agents) a.close();
  }
}

function metricsText(t: TestApp): Promise<string> {
  return t.app
    .inject({ url: '/metrics', headers: { authorization: `Bearer ${t.adminToken}` } })
    .then((r) => r.body);
}

async function queuedSnapshots(t: TestApp): Promise<number> {
  return Number(/pantau_remote_write_queue_snapshots\{endpoint="vm"\} (\d+)/.exec(await metricsText(t))?.[1]);
}

describe('remote write through a database outage and a collector restart', () => {
  let vm: Tsdb | undefined;
  let t: TestApp | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'pantau-outage-'));
  afterAll(async () => {
    await t?.close();
    await vm?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    `delivers every sample once after ${OUTAGE_SNAPSHOTS} snapshots queued while down, in order, across a restart`,
    async () => {
      vm = await startTsdb('victoria-metrics');
      const config = {
        metrics: { remoteWrite: [{ name: 'vm', url: vm.writeUrl }], queue: { retryMax: '500ms' } },
      } as never;
      t = await startTestApp(config, dataDir);
      const tokens = Array.from({ length: HOSTS }, (_, i) => t!.addHost(`load-${i}`).token);
      // Timestamps one second apart ending near now; the load sends faster than real time.
      const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
      const load = new Load(base);
      await load.connect(t, tokens);
      load.start();
      await until('samples flowing', () => t!.app.pantau.remoteWrite!.senders[0]!.stats.samplesSent > 0);

      await vm.stop();
      await until('the sender noticing the outage', async () => {
        const text = await metricsText(t!);
        return /pantau_remote_write_failures_total\{endpoint="vm",kind="network"\} [1-9]/.test(text);
      });
      await until(
        `${OUTAGE_SNAPSHOTS / 2} snapshots queued`,
        async () => (await queuedSnapshots(t!)) >= OUTAGE_SNAPSHOTS / 2,
        60_000,
      );

      // Restart the collector while the database is still down: the queue is on disk.
      await load.stop();
      load.close();
      const queued = t.app.pantau.remoteWrite!.senders[0]!.lag().rows;
      expect(queued).toBeGreaterThan(0);
      await t.close({ keepData: true });
      t = await startTestApp(config, dataDir);
      await load.connect(t, tokens);
      load.start();
      // The restarted collector queues on top of what the first one left.
      await until(
        `${OUTAGE_SNAPSHOTS} snapshots queued`,
        async () => (await queuedSnapshots(t!)) >= Math.max(OUTAGE_SNAPSHOTS, queued + 1),
        60_000,
      );
      const text = await metricsText(t);
      expect(
        Number(/pantau_remote_write_lag_seconds\{endpoint="vm"\} ([\d.]+)/.exec(text)?.[1]),
      ).toBeGreaterThan(0);

      await vm.start();
      // Agents keep sending while the sender catches up.
      const sender = t.app.pantau.remoteWrite!.senders[0]!;
      await until('samples flowing again', () => sender.stats.samplesSent > 0, 30_000);
      await load.stop();
      await until('the queue drained', () => sender.lag().rows === 0, 60_000);
      expect(sender.stats.dropped).toEqual({ rejected: 0, 'too-old': 0, 'queue-full': 0 });

      // VictoriaMetrics' export returns raw samples, duplicates included: each seq exactly once.
      for (let i = 0; i < HOSTS; i++) {
        const last = load.next[i]! - 1;
        const match = encodeURIComponent(`pantau_host_cpu_busy_ratio{host="load-${i}"}`);
        const got = await until(
          `all ${last} samples of load-${i}`,
          async () => {
            const res = await fetch(`${vm!.url}/api/v1/export?match[]=${match}`);
            const lines = (await res.text()).trim().split('\n').filter(Boolean);
            const timestamps = lines.flatMap((l) => (JSON.parse(l) as { timestamps: number[] }).timestamps);
            return timestamps.length >= last ? timestamps : null;
          },
          30_000,
        );
        expect(got).toEqual(Array.from({ length: last }, (_, k) => base + (k + 1) * 1_000));
      }
      load.close();
    },
    180_000,
  );
});
