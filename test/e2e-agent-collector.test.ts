// End to end: real `pantau-agent run` child processes against a real collector child process.
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.ts';
import { type CollectorProcess, freePort, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

interface Area<T> {
  hostId: number;
  ts: number | null;
  data: T | null;
}
interface Series {
  tier: string;
  step: number;
  ts: number[];
  avg: number[];
  max: number[];
}
interface Check {
  name: string;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** Everything a test started, stopped in reverse order even when the test failed. */
const cleanup: Array<() => Promise<unknown>> = [];
async function runCleanup(): Promise<void> {
  while (cleanup.length > 0) {
    try {
      await cleanup.pop()?.();
    } catch {
      // keep stopping the rest
    }
  }
}

function trackCollector(c: CollectorProcess, removeData = true): CollectorProcess {
  cleanup.push(async () => {
    await c.stop('SIGKILL');
    if (removeData) rmSync(c.dataDir, { recursive: true, force: true });
  });
  return c;
}
function trackAgent(a: AgentProcess): AgentProcess {
  cleanup.push(() => a.stop());
  return a;
}

describe('e2e: one collector, real agents', () => {
  let collector: CollectorProcess;
  let api: Api;
  let hostId: number;
  let agent: AgentProcess;
  let service: Server;
  const serviceSockets = new Set<Socket>();
  const suiteCleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    // A local TCP service the agent checks.
    service = createServer((socket) => {
      serviceSockets.add(socket);
      socket.on('close', () => serviceSockets.delete(socket));
      socket.end();
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const servicePort = (service.address() as { port: number }).port;
    suiteCleanup.push(
      () =>
        new Promise((resolve) => {
          for (const s of serviceSockets) s.destroy();
          service.close(resolve);
        }),
    );

    collector = await startCollectorProcess();
    suiteCleanup.push(async () => {
      await collector.stop('SIGKILL');
      rmSync(collector.dataDir, { recursive: true, force: true });
    });
    api = new Api(collector.url, collector.adminToken);
    const added = await api.addHost('e2e-main');
    hostId = added.id;
    agent = startAgent(collector.wsUrl, added.token, {
      checks: [{ name: 'svc', type: 'tcp', host: '127.0.0.1', port: servicePort, timeout: '500ms' }],
    });
    suiteCleanup.push(() => agent.stop());
  });

  afterAll(async () => {
    while (suiteCleanup.length > 0) await suiteCleanup.pop()?.();
  });
  afterEach(runCleanup);

  it('a host added through the API comes online and its data flows: latest, areas on their cadence', async () => {
    const listed = await until('the host online with core numbers in GET /hosts', async () => {
      const page = await api.get<{ items: { id: number; status: string; latest: unknown }[] }>('/hosts');
      const h = page.items.find((i) => i.id === hostId);
      return h?.status === 'online' && h.latest ? h : null;
    });
    expect(listed).toMatchObject({ id: hostId, status: 'online' });

    const host = await api.host(hostId);
    expect(host.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(host.lastSeq).toBeGreaterThanOrEqual(1);

    const latest = await api.get<{
      ts: number;
      metrics: Record<string, number>;
      processes: { ts: number; data: { count: number } } | null;
      disks: { data: unknown[] } | null;
      ports: { data: unknown[] } | null;
      system: { data: { hostname: string } } | null;
    }>(`/hosts/${hostId}/latest`);
    expect(Date.now() - latest.ts).toBeLessThan(10_000);
    expect(latest.metrics.cpu).toBeGreaterThanOrEqual(0);
    expect(latest.metrics.cpu).toBeLessThanOrEqual(100);
    expect(latest.metrics['memory.used']).toBeGreaterThan(0);
    expect(latest.metrics['memory.total'] ?? latest.metrics['memory.used']).toBeGreaterThan(0);
    // The first snapshot carries every heavy part.
    expect(latest.processes?.data.count).toBeGreaterThan(0);
    expect(latest.disks?.data.length).toBeGreaterThan(0);
    expect(Array.isArray(latest.ports?.data)).toBe(true);
    expect(latest.system?.data.hostname).toBeTruthy();

    // Processes (1 s cadence) and disks (2 s) keep arriving: their report time moves on.
    const procs1 = await api.get<Area<{ count: number; topCpu: unknown[] }>>(`/hosts/${hostId}/processes`);
    const disks1 = await api.get<Area<{ mount: string; used: number }[]>>(`/hosts/${hostId}/disks`);
    expect(procs1.data?.count).toBeGreaterThan(0);
    expect(disks1.data?.length).toBeGreaterThan(0);
    await until('a newer processes report', async () => {
      const p = await api.get<Area<unknown>>(`/hosts/${hostId}/processes`);
      return (p.ts ?? 0) > (procs1.ts ?? 0);
    });
    await until('a newer disks report', async () => {
      const d = await api.get<Area<unknown>>(`/hosts/${hostId}/disks`);
      return (d.ts ?? 0) > (disks1.ts ?? 0);
    });
    const ports = await api.get<Area<{ port: number; protocol: string }[]>>(`/hosts/${hostId}/ports`);
    expect(ports.ts).not.toBeNull();
    // Our own collector listens on this machine, so the agent must see its port.
    expect(ports.data?.some((p) => p.port === collector.port)).toBe(true);

    // The Prometheus view carries the same host's gauges.
    const prom = await fetch(`${collector.url}/metrics`, {
      headers: { authorization: `Bearer ${collector.adminToken}` },
    });
    const text = await prom.text();
    expect(text).toContain('pantau_host_up{host="e2e-main"} 1');
    expect(text).toMatch(/^pantau_host_memory_used_bytes\{host="e2e-main"\} [1-9]\d*/m);
  });

  it('history answers from raw data and from the 1-minute rollups', async () => {
    await until('3 snapshots stored', async () => (await api.host(hostId)).lastSeq >= 3);
    const now = Date.now();
    const raw = await api.get<Series>(
      `/hosts/${hostId}/history?metric=cpu&from=${now - 60_000}&to=${now + 1_000}&maxPoints=100`,
    );
    expect(raw.tier).toBe('raw');
    expect(raw.ts.length).toBeGreaterThanOrEqual(2);
    expect(raw.avg.every((v) => v >= 0 && v <= 100)).toBe(true);

    // Two hours in 10 points: 12-minute buckets, wide enough for the 1-minute tier.
    const minute = await api.get<Series>(
      `/hosts/${hostId}/history?metric=memory.used&from=${now - 7_200_000}&to=${now + 60_000}&maxPoints=10`,
    );
    expect(minute.tier).toBe('1m');
    expect(minute.ts.length).toBeGreaterThanOrEqual(1);
    expect(minute.avg.at(-1)).toBeGreaterThan(0);
    expect(minute.max.at(-1)).toBeGreaterThanOrEqual(minute.avg.at(-1) ?? 0);

    // Thirty days: the hour tier.
    const hour = await api.get<Series>(
      `/hosts/${hostId}/history?metric=cpu&from=${now - 30 * 86_400_000}&to=${now + 60_000}&maxPoints=100`,
    );
    expect(hour.tier).toBe('1h');
    expect(hour.ts.length).toBeGreaterThanOrEqual(1);

    // The rollups count every stored snapshot exactly once.
    const db = new Database(join(collector.dataDir, 'pantau.db'), { readonly: true, fileMustExist: true });
    try {
      const raws = db
        .prepare('SELECT count(*) FROM metrics_raw WHERE host = ?')
        .pluck()
        .get(hostId) as number;
      const n1m = db.prepare('SELECT sum(n) FROM metrics_1m WHERE host = ?').pluck().get(hostId) as number;
      const n1h = db.prepare('SELECT sum(n) FROM metrics_1h WHERE host = ?').pluck().get(hostId) as number;
      expect(raws).toBeGreaterThanOrEqual(3);
      // A snapshot may commit between two reads; the three counts come from one read transaction.
      expect(n1m).toBe(raws);
      expect(n1h).toBe(raws);
    } finally {
      db.close();
    }
  });

  it('a TCP check is reported, and shows failed within seconds of its service going away', async () => {
    const ok = await until('the check reported ok', async () => {
      const c = await api.get<Area<Check[]>>(`/hosts/${hostId}/checks`);
      return c.data?.find((x) => x.name === 'svc' && x.ok);
    });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);

    await new Promise<void>((resolve) => {
      for (const s of serviceSockets) s.destroy();
      service.close(() => resolve());
    });
    const failed = await until(
      'the check reported failed',
      async () => {
        const c = await api.get<Area<Check[]>>(`/hosts/${hostId}/checks`);
        return c.data?.find((x) => x.name === 'svc' && !x.ok);
      },
      // Seconds, not a snapshot cadence: the 1 s check retry; wide for a busy machine.
      15_000,
    );
    expect(failed.error).toMatch(/ECONNREFUSED|refused/i);
    const history = await api.get<{ name: string; ok: boolean }[]>(`/hosts/${hostId}/checks/history`);
    expect(history.filter((h) => h.name === 'svc').map((h) => h.ok)).toEqual([true, false]);
  });

  it('a revoked token: the collector closes the connection at once and the agent cannot come back', async () => {
    const added = await api.addHost('e2e-revoked');
    const a = trackAgent(
      startAgent(collector.wsUrl, added.token, {
        // Retry soon after a 4001/401 so the test sees that the retry is refused too.
        collector: {
          urls: [collector.wsUrl],
          pingInterval: '1s',
          reconnect: { minDelay: '200ms', maxDelay: '1s', fatalDelay: '300ms' },
        },
      }),
    );
    await until('the host online', async () => (await api.host(added.id)).status === 'online');

    const res = await api.call('DELETE', `/hosts/${added.id}/token`);
    expect(res.status).toBe(204);
    // Closed by the collector with 4001 (not dropped later by a heartbeat timeout): at once.
    const closed = await a.waitForLog('disconnected from the collector');
    expect(closed.code).toBe(4001);
    await until('the host offline', async () => (await api.host(added.id)).status === 'offline');

    // It tries again (fatalDelay 300 ms) and is refused at the upgrade every time.
    await until(
      'a refused reconnect',
      () => a.logged('could not connect to the collector').length >= 2,
      5_000,
    );
    const refused = a.logged('could not connect to the collector');
    expect(refused.every((l) => l.code === 4001 && String(l.reason).includes('401'))).toBe(true);
    const host = await api.host(added.id);
    expect(host.status).toBe('offline');
    expect(a.logged('welcomed by the collector')).toHaveLength(1);
  });

  it('an agent with a wrong token never comes online', async () => {
    const added = await api.addHost('e2e-wrong');
    const a = trackAgent(
      startAgent(collector.wsUrl, `${added.token.slice(0, -4)}xxxx`, {
        collector: {
          urls: [collector.wsUrl],
          pingInterval: '1s',
          reconnect: { minDelay: '200ms', maxDelay: '1s', fatalDelay: '300ms' },
        },
      }),
    );
    await until(
      'two refused connects',
      () => a.logged('could not connect to the collector').length >= 2,
      8_000,
    );
    expect(a.logged('welcomed by the collector')).toHaveLength(0);
    expect(
      a.logged('could not connect to the collector').every((l) => String(l.reason).includes('401')),
    ).toBe(true);
    const host = await api.host(added.id);
    expect(host.status).toBe('new');
    expect(host.lastSeq).toBe(0);
    expect(a.child.exitCode).toBeNull();
  });
});

describe('e2e: collector killed with SIGKILL while the agent runs', () => {
  afterEach(runCleanup);

  // Two collector starts and a replay: 15 s on a quiet machine, several times that on a busy one.
  it('restarted on the same data dir and port, it holds every sequence number exactly once', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const first = trackCollector(await startCollectorProcess({ port }), false);
    cleanup.unshift(async () => rmSync(first.dataDir, { recursive: true, force: true }));
    const api1 = new Api(first.url, first.adminToken);
    const { id, token } = await api1.addHost('e2e-crash');
    const agent = trackAgent(startAgent(first.wsUrl, token));
    await until('2 snapshots committed', async () => (await api1.host(id)).lastSeq >= 2);
    const before = (await api1.host(id)).lastSeq;

    // Frozen first, so snapshots sent in that time are in its socket, neither committed nor
    // acked, when it dies: the agent must resend exactly those.
    // The agent gives up on the silent socket after three 1 s ping intervals, three snapshots later.
    first.child.kill('SIGSTOP');
    await agent.waitForLog('collector silent for 3 ping intervals', 15_000);
    await first.stop('SIGKILL');
    await agent.waitForLog('disconnected from the collector', 5_000);
    // Down for a while: the agent keeps sampling into its outbox while its reconnects fail.
    await until(
      'two failed reconnects',
      () => agent.logged('could not connect to the collector').length >= 2,
    );

    const second = trackCollector(
      await startCollectorProcess({ port, dataDir: first.dataDir, adminToken: first.adminToken }),
      false,
    );
    const api2 = new Api(second.url, second.adminToken);
    // The frozen and the outage's snapshots (about 3) plus a live one arrive.
    await until('the backlog replayed', async () => (await api2.host(id)).lastSeq >= before + 4, 15_000);
    const welcomes = agent.logged('welcomed by the collector');
    expect(welcomes).toHaveLength(2);
    // What was sampled during the outage waited in the outbox and went out as a replay.
    expect(welcomes[1]?.lastSeq).toBeGreaterThanOrEqual(before);
    expect(welcomes[1]?.backlog).toBeGreaterThanOrEqual(3);
    expect(agent.logged('replayed backlog').length).toBeGreaterThanOrEqual(1);
    expect(agent.child.exitCode).toBeNull();

    // Stop both gracefully so the last frames commit, then read the file.
    await agent.stop();
    const stopped = await second.stop('SIGTERM');
    expect(stopped.code).toBe(0);

    const db = new Database(join(first.dataDir, 'pantau.db'), { readonly: true, fileMustExist: true });
    try {
      const lastSeq = db.prepare('SELECT last_seq FROM hosts WHERE id = ?').pluck().get(id) as number;
      const ts = db
        .prepare('SELECT ts FROM metrics_raw WHERE host = ? ORDER BY ts')
        .pluck()
        .all(id) as number[];
      const n1m = db.prepare('SELECT sum(n) FROM metrics_1m WHERE host = ?').pluck().get(id) as number;
      const n1h = db.prepare('SELECT sum(n) FROM metrics_1h WHERE host = ?').pluck().get(id) as number;
      // Every stored snapshot has seq <= last_seq and a seq is stored at most once, so as many
      // rows as last_seq means 1..last_seq are all there: no gap, no duplicate.
      expect(lastSeq).toBeGreaterThanOrEqual(before + 4);
      expect(ts).toHaveLength(lastSeq);
      expect(new Set(ts).size).toBe(lastSeq);
      expect(n1m).toBe(lastSeq);
      expect(n1h).toBe(lastSeq);
      // The agent samples on a 1 s grid the whole time, so the outage (about 4 s) left no hole in
      // time either (a tick skipped under load makes a 2 s step at most).
      const gaps = ts.slice(1).map((t, i) => t - (ts[i] as number));
      expect(Math.max(...gaps)).toBeLessThan(2_500);
    } finally {
      db.close();
    }
  });
});
