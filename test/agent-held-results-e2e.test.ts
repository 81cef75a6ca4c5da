// End to end: a job that ends while its collector is down is not lost. The real agent holds
// its output and job.end, names the job in hello.jobs after the restart, and delivers them.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.ts';
import { type CollectorProcess, freePort, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

interface Run {
  host: string;
  state: string;
  exitCode: number | null;
  error: string | null;
}
interface Job {
  id: number;
  state: string;
  runs: Run[];
}
interface Chunk {
  seq: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (cleanup.length > 0)
    await cleanup
      .pop()?.()
      .catch(() => {});
});

describe('held job results across a collector restart (collector process, real agent)', () => {
  it('delivers output and end made while the collector was down: the run ends with its real exit code, not lost, nothing doubled', async () => {
    const port = await freePort();
    const first = await startCollectorProcess({ port });
    cleanup.push(async () => rmSync(first.dataDir, { recursive: true, force: true }));
    const api = new Api(first.url, first.adminToken);
    const { id: hostId, token } = await api.addHost('web-1');
    const agent: AgentProcess = startAgent(first.wsUrl, token, {
      actions: {
        allow: ['chatty'],
        custom: [
          {
            name: 'chatty',
            argv: ['sh', '-c', 'echo before; sleep 2; echo after; sleep 0.2; echo warn >&2; exit 4'],
          },
        ],
      },
    });
    cleanup.push(() => agent.stop());
    const created = await api.call<{ id: number }>('POST', '/activities', {
      name: 'chatty',
      action: 'chatty',
    });
    expect(created.status).toBe(201);
    await until('web-1 ready for chatty', async () => {
      const { body } = await api.call<{ hosts: unknown[] }>('POST', '/jobs/preview', {
        activity: 'chatty',
        targets: { hosts: ['web-1'] },
      });
      return body.hosts?.length === 1;
    });

    const { status, body: job } = await api.call<Job>('POST', '/jobs', {
      activity: 'chatty',
      targets: { hosts: ['web-1'] },
    });
    expect(status).toBe(201);
    await until('the first chunk stored', async () => {
      const out = await api.get<{ items: Chunk[] }>(`/jobs/${job.id}/runs/${hostId}/output`);
      return out.items.length === 1;
    });

    // The collector dies mid-job; the job ends while it is away.
    await first.stop('SIGKILL');
    await agent.waitForLog('job ended');
    let second: CollectorProcess | undefined;
    cleanup.push(async () => second?.stop('SIGKILL'));
    second = await startCollectorProcess({ dataDir: first.dataDir, adminToken: first.adminToken, port });
    const api2 = new Api(second.url, second.adminToken);

    const done = await until(
      'the job ended',
      async () => {
        const j = await api2.get<Job>(`/jobs/${job.id}`);
        return j.state !== 'running' && j;
      },
      30_000,
    );
    expect(done.runs).toEqual([
      expect.objectContaining({ host: 'web-1', state: 'failed', exitCode: 4, error: null }),
    ]);
    const out = await api2.get<{ items: Chunk[] }>(`/jobs/${job.id}/runs/${hostId}/output`);
    expect(out.items.map((c) => [c.stream, c.data])).toEqual([
      ['stdout', 'before\n'],
      ['stdout', 'after\n'],
      ['stderr', 'warn\n'],
    ]);
    // They came from the agent's backlog, in one go after the new welcome: the held output
    // merged into one frame (both streams in order), then the end.
    const held = agent.logs.filter((l) => l.msg === 'sent job frames held while disconnected');
    expect(held).toEqual([expect.objectContaining({ frames: 2 })]);
  }, 60_000);
});
