import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

/**
 * Busy job output end to end: a real agent process, a collector with its default frame-rate
 * limit (20 frames/s), and jobs that print for seconds on both streams. Nothing may be lost,
 * nothing reordered, and the agent must stay connected.
 */

const LINES = 10_000;
// 400 bursts of 25 lines on each stream, a little apart: about 9 s of steady output, where an
// agent sending a frame per stream every 50 ms would use up the collector's burst allowance.
const BUSY = [
  'sh',
  '-c',
  `i=0; while [ $i -lt ${LINES} ]; do j=0; while [ $j -lt 25 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); j=$((j+1)); done; sleep 0.02; done`,
];
// 15 ms apart: inside one 50 ms flush of an agent that buffers each stream on its own, far
// enough apart for the pipes to be read in the order written.
const ORDERED = [
  process.execPath,
  '-e',
  `const lines = [['stdout', 'first'], ['stderr', 'second'], ['stdout', 'third'], ['stderr', 'fourth']];
   lines.forEach(([s, l], i) => setTimeout(() => process[s].write(l + '\\n'), i * 15));`,
];

let t: TestApp;
let agent: AgentProcess;
let hostId: number;
const offline: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ jobs: { outputCap: 4 * 1024 * 1024 } });
  const host = t.addHost('busy-1');
  hostId = host.id;
  agent = new AgentProcess({
    ...testConfig([t.wsUrl], {
      actions: {
        allow: ['busy', 'ordered'],
        custom: [
          { name: 'busy', argv: BUSY },
          { name: 'ordered', argv: ORDERED },
        ],
        outputCap: '4MiB',
        timeout: '2m',
      },
    }),
    token: host.token,
  });
  await until('the agent online', () => t.app.pantau.gateway.isOnline(hostId));
  t.app.pantau.events.on('host.offline', (e) => offline.push(e.reason));
  for (const name of ['busy', 'ordered']) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/activities',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: { name, action: name, description: '', fixed: {}, params: [] },
    });
    if (res.statusCode !== 201) throw new Error(res.body);
  }
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await t?.close();
});

async function run(activity: string): Promise<number> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/jobs',
    headers: { authorization: `Bearer ${t.adminToken}` },
    payload: { activity, targets: { hosts: [hostId] } },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().id as number;
}

const ended = (id: number) =>
  until(
    `job ${id} to end`,
    () => {
      const job = t.app.pantau.jobs.repo.get(id);
      return job && !['running', 'awaiting_confirmation'].includes(job.state) ? job : undefined;
    },
    90_000,
  );

/** The run's stored output, part by part, in the order of the job's one sequence. */
const parts = (id: number) =>
  t.app.pantau.jobs.repo
    .output(id, hostId)
    .map((e) => e.data as { stream: 'stdout' | 'stderr'; data: string });

describe('job output under load (real agent process)', () => {
  it('two jobs printing 10,000 lines on both streams at once lose no line and do not trip the frame limit', async () => {
    const ids = await Promise.all([run('busy'), run('busy')]);
    for (const id of ids) {
      const job = await ended(id);
      expect(job.state).toBe('succeeded');
      const [r] = t.app.pantau.jobs.repo.runs(id);
      expect(r).toMatchObject({ state: 'succeeded', truncated: false, droppedBytes: 0 });
      const all = parts(id);
      for (const [stream, word] of [
        ['stdout', 'out'],
        ['stderr', 'err'],
      ] as const) {
        const lines = all
          .filter((p) => p.stream === stream)
          .map((p) => p.data)
          .join('')
          .split('\n')
          .filter((l) => l !== '');
        expect(lines).toHaveLength(LINES);
        expect(lines.every((l, i) => l === `${word} ${i}`)).toBe(true);
      }
    }
    expect(offline).toEqual([]);
    expect(agent.stderr).not.toContain('RATE_LIMITED');
  }, 120_000);

  it('stores stdout and stderr in the order they were written, one sequence across both', async () => {
    const id = await run('ordered');
    await ended(id);
    expect(parts(id).map((p) => [p.stream, p.data])).toEqual([
      ['stdout', 'first\n'],
      ['stderr', 'second\n'],
      ['stdout', 'third\n'],
      ['stderr', 'fourth\n'],
    ]);
    const seqs = t.app.pantau.jobs.repo.output(id, hostId).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});
