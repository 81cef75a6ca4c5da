import { readFileSync } from 'node:fs';
import { outputParts } from '@pantau/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { FakeCollector } from './support/fake-collector.ts';

let collector: FakeCollector;
let agent: AgentProcess;

beforeAll(async () => {
  collector = new FakeCollector({ token: 'test-token' });
  await collector.start();
  agent = new AgentProcess(
    testConfig([collector.url], {
      actions: {
        allow: ['uptime', 'ping', 'tree', 'nap', 'ghost'],
        maxConcurrent: 2,
        killGrace: '300ms',
        custom: [
          {
            name: 'tree',
            argv: ['bash', '-c', 'sleep 100 & echo $!; sleep 100 & echo $!; wait'],
            timeout: '1s',
          },
          { name: 'ghost', argv: ['/nonexistent/program', '--now'] },
          {
            name: 'nap',
            argv: ['sleep', '{{seconds}}'],
            params: { seconds: { type: 'integer', min: 1, max: 60 } },
          },
        ],
      },
    }),
  );
  await collector.waitFor('welcome', () => collector.stored.length >= 1);
});

afterAll(async () => {
  await agent.stop();
  await collector.stop();
});

/** Running or sleeping; an exited process may linger as a zombie until it is reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function end(jobId: string) {
  return collector.framesOf('job.end').find((f) => f.jobId === jobId);
}

function output(jobId: string): string {
  return collector
    .framesOf('job.output')
    .filter((f) => f.jobId === jobId)
    .flatMap(outputParts)
    .map((p) => p.data)
    .join('');
}

describe('actions over the protocol (real agent process)', () => {
  it('announces the allowed actions in hello, custom ones with their params', () => {
    const actions = collector.hellos[0]?.actions ?? [];
    expect(actions.map((a) => a.name)).toEqual(['uptime', 'ping', 'tree', 'nap', 'ghost']);
    expect(actions.find((a) => a.name === 'nap')?.params).toEqual([
      { name: 'seconds', kind: 'integer', min: 1, max: 60 },
    ]);
  });

  it('runs an allowed action and sends its output and end', async () => {
    collector.send({ t: 'job.start', jobId: 'up-1', action: 'uptime', params: {} });
    await collector.waitFor('job.end', () => end('up-1') !== undefined);
    expect(end('up-1')).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false, truncated: false });
    expect(output('up-1')).toMatch(/load average/);
  });

  it('ends a program that cannot start as failed with the reason, and lives on', async () => {
    collector.send({ t: 'job.start', jobId: 'ghost-1', action: 'ghost', params: {} });
    await collector.waitFor('job.end', () => end('ghost-1') !== undefined);
    expect(end('ghost-1')).toMatchObject({ exitCode: null, signal: null, timedOut: false });
    expect(end('ghost-1')?.error).toMatch(/^cannot run \/nonexistent\/program: spawn .*ENOENT/);
    expect(agent.child.exitCode).toBeNull();
    collector.send({ t: 'job.start', jobId: 'up-after-ghost', action: 'uptime', params: {} });
    await collector.waitFor('job.end', () => end('up-after-ghost') !== undefined);
    expect(end('up-after-ghost')?.exitCode).toBe(0);
  });

  it('rejects what the config does not allow and bad params, and runs nothing', async () => {
    collector.send({ t: 'job.start', jobId: 'rb-1', action: 'reboot', params: {} });
    collector.send({ t: 'job.start', jobId: 'nap-bad', action: 'nap', params: { seconds: 'forever' } });
    await collector.waitFor('two rejections', () => collector.framesOf('job.rejected').length >= 2);
    expect(collector.framesOf('job.rejected').map((r) => [r.jobId, r.code])).toEqual([
      ['rb-1', 'ACTION_NOT_ALLOWED'],
      ['nap-bad', 'INVALID_PARAMS'],
    ]);
    expect(end('rb-1')).toBeUndefined();
  });

  it('enforces the concurrency limit and cancels on job.cancel', async () => {
    collector.send({ t: 'job.start', jobId: 'nap-1', action: 'nap', params: { seconds: 30 } });
    collector.send({ t: 'job.start', jobId: 'nap-2', action: 'nap', params: { seconds: 30 } });
    collector.send({ t: 'job.start', jobId: 'nap-3', action: 'nap', params: { seconds: 30 } });
    await collector.waitFor('JOB_LIMIT', () =>
      collector.framesOf('job.rejected').some((r) => r.jobId === 'nap-3'),
    );
    expect(collector.framesOf('job.rejected').find((r) => r.jobId === 'nap-3')?.code).toBe('JOB_LIMIT');
    collector.send({ t: 'job.cancel', jobId: 'nap-1' });
    collector.send({ t: 'job.cancel', jobId: 'nap-2' });
    await collector.waitFor('both cancelled', () => end('nap-1') !== undefined && end('nap-2') !== undefined);
    expect(end('nap-1')).toMatchObject({ cancelled: true, signal: 'SIGTERM' });
    expect(end('nap-2')?.durationMs).toBeLessThan(10_000);
  });

  it('times out a job and leaves none of its processes behind', async () => {
    collector.send({ t: 'job.start', jobId: 'tree-1', action: 'tree', params: {} });
    await collector.waitFor('job.end', () => end('tree-1') !== undefined);
    expect(end('tree-1')?.timedOut).toBe(true);
    const pids = output('tree-1').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(collector.invalid).toEqual([]);
  });
});
