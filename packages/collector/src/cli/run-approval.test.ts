import { builtinAction, type JobStartFrame } from '@pantau/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawAgent } from '../../../../test/support/agent-client.ts';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { until } from '../../../../test/support/until.ts';
import { type RunIo, runCommand } from './run.ts';

// A collector in four-eyes mode on port 0 and one protocol-speaking agent that allows reboot.
let t: TestApp;
let agent: RawAgent;

beforeAll(async () => {
  t = await startTestApp({ jobs: { fourEyes: true } });
  const host = t.addHost('web-1');
  agent = await RawAgent.connect(t.wsUrl, host.token);
  const reboot = builtinAction('reboot');
  if (!reboot) throw new Error('no reboot in the catalog');
  await agent.hello({ actions: [reboot.spec] });
});

afterAll(async () => {
  agent.close();
  await t.close();
});

describe('run with four-eyes approval', () => {
  it('waits, saying so once, until another admin approves, then streams and succeeds', async () => {
    // Two persons: four-eyes compares the users behind the tokens.
    const [mine, other] = [t.user('mine', 'admin').token, t.user('other', 'admin').token];
    const lines: string[] = [];
    const io: RunIo = {
      out: (text) => lines.push(text),
      err: (text) => lines.push(`ERR ${text}`),
      interactive: false,
      ask: async () => 'no',
      onInterrupt: () => () => {},
    };
    const running = runCommand(['reboot', '--hosts', 'web-1', '--yes'], io, {
      PANTAU_URL: t.url,
      PANTAU_TOKEN: mine,
    });
    await until(
      () => `the waiting message; the CLI said:\n${lines.join('\n')}`,
      () => lines.includes('waiting for another admin to approve the job'),
      5_000,
    );
    const jobId = /^job (\d+): awaiting_approval$/.exec(lines.find((l) => l.startsWith('job ')) ?? '')?.[1];
    expect(jobId).toBeDefined();
    expect(agent.frames.some((f) => f.t === 'job.start')).toBe(false);

    const approved = await fetch(`${t.url}/api/v1/jobs/${jobId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other}` },
    });
    expect(approved.status).toBe(200);
    await agent.until(() => agent.frames.some((f) => f.t === 'job.start'), 5_000, 'job.start');
    const start = agent.frames.find((f) => f.t === 'job.start') as JobStartFrame;
    agent.send({ t: 'job.output', jobId: start.jobId, stream: 'stdout', data: 'going down\n' });
    agent.send({
      t: 'job.end',
      jobId: start.jobId,
      exitCode: 0,
      signal: null,
      durationMs: 5,
      truncated: false,
      timedOut: false,
      cancelled: false,
    });

    expect(await running).toBe(0);
    expect(lines.filter((l) => l === 'waiting for another admin to approve the job')).toHaveLength(1);
    expect(lines).toContain('web-1 | going down');
    expect(lines).toContain('1 host: 1 succeeded');
    expect(lines.filter((l) => l.startsWith('ERR'))).toEqual([]);
  });
});
