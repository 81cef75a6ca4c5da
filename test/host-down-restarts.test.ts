import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api } from './support/e2e.ts';
import { until } from './support/until.ts';

/**
 * Host-down across collector restarts, with real collector processes on one SQLite file and a
 * real agent: whatever the sequence of restarts, a host that is not connected once the grace has
 * passed has an open incident. startupGrace is shortened to 3 s; grace is 5 s so the stop lands inside it.
 */

const MONITOR = JSON.stringify({ grace: '5s', startupGrace: '3s', thresholds: [] });
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function collector(previous?: CollectorProcess): Promise<CollectorProcess> {
  const c = await startCollectorProcess({
    ...(previous ? { dataDir: previous.dataDir, adminToken: previous.adminToken } : {}),
    env: { PANTAU_MONITOR: MONITOR },
  });
  cleanup.push(() => c.stop('SIGKILL'));
  return c;
}

interface IncidentRow {
  id: number;
  kind: string;
  hostId: number;
  status: string;
}

async function openHostDown(api: Api, hostId: number): Promise<IncidentRow[]> {
  const { items } = await api.get<{ items: IncidentRow[] }>('/incidents?status=open');
  return items.filter((i) => i.kind === 'host_down' && i.hostId === hostId);
}

/** A collector with one host whose agent is connected; the agent is returned to be killed. */
async function onlineHost(): Promise<{ c: CollectorProcess; api: Api; hostId: number; agent: AgentProcess }> {
  const c = await collector();
  const api = new Api(c.url, c.adminToken);
  const { id, token } = await api.addHost('web-1');
  const agent = new AgentProcess({ ...testConfig([c.wsUrl]), token });
  cleanup.push(() => agent.stop());
  await until('web-1 online', async () => (await api.host(id)).status === 'online');
  return { c, api, hostId: id, agent };
}

describe('host down across collector restarts', { timeout: 60_000 }, () => {
  it('two quick restarts: stopped (SIGTERM) while online, agent killed, a start stopped within startupGrace, then a start', async () => {
    const { c, hostId, agent } = await onlineHost();
    await c.stop('SIGTERM');
    agent.child.kill('SIGKILL');

    // Stopped at once after listening, well inside startupGrace: the file now says offline.
    const quick = await collector(c);
    expect((await new Api(quick.url, quick.adminToken).host(hostId)).status).toBe('offline');
    await quick.stop('SIGTERM');

    const last = await collector(c);
    const api = new Api(last.url, last.adminToken);
    const [incident] = await until('a host_down incident', async () => {
      const open = await openHostDown(api, hostId);
      return open.length > 0 ? open : undefined;
    });
    expect(incident).toMatchObject({ kind: 'host_down', hostId, status: 'open' });
  });

  it('agent gone, collector stopped inside the grace, then started: the incident opens after startupGrace', async () => {
    const { c, api, hostId, agent } = await onlineHost();
    agent.child.kill('SIGKILL');
    await until('web-1 offline', async () => (await api.host(hostId)).status === 'offline');
    // The grace (5 s) has not run out: no incident yet when the collector stops.
    expect(await openHostDown(api, hostId)).toEqual([]);
    await c.stop('SIGTERM');

    const next = await collector(c);
    const nextApi = new Api(next.url, next.adminToken);
    await until('a host_down incident', async () => (await openHostDown(nextApi, hostId)).length === 1);
  });
});
