import { type AgentFrame, outputParts } from '@pantau/shared';
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
        allow: ['uptime', 'chatty', 'nap'],
        custom: [
          {
            name: 'chatty',
            argv: ['sh', '-c', 'echo a; sleep 1.5; echo b; sleep 0.2; echo c >&2; sleep 0.2; echo d; exit 3'],
          },
          { name: 'nap', argv: ['sh', '-c', 'echo start; sleep 2.5; echo done'] },
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

const jobFrames = (jobId: string) =>
  collector.frames.filter(
    (f): f is Extract<AgentFrame, { jobId: string }> => 'jobId' in f && f.jobId === jobId,
  );

describe('job results made while disconnected (real agent process)', () => {
  it('sends every output chunk and the job.end after the reconnect, once, in order, right after hello', async () => {
    collector.send({ t: 'job.start', jobId: 'chatty-1', action: 'chatty', params: {} });
    await collector.waitFor('first chunk', () => jobFrames('chatty-1').length >= 1);
    expect(jobFrames('chatty-1')).toEqual([
      { t: 'job.output', jobId: 'chatty-1', parts: [{ stream: 'stdout', data: 'a\n' }] },
    ]);

    // The collector dies while the job runs; the job ends before it is back.
    await collector.stop();
    await agent.waitForLog('job ended');
    const hellosBefore = collector.hellos.length;
    const framesBefore = collector.frames.length;
    await collector.start();
    await collector.waitFor('job.end after the reconnect', () =>
      jobFrames('chatty-1').some((f) => f.t === 'job.end'),
    );

    const frames = jobFrames('chatty-1');
    const outputs = frames.filter((f) => f.t === 'job.output');
    // What was held goes as one frame, the streams interleaved as written.
    expect(outputs.flatMap((f) => outputParts(f)).map((p) => [p.stream, p.data])).toEqual([
      ['stdout', 'a\n'],
      ['stdout', 'b\n'],
      ['stderr', 'c\n'],
      ['stdout', 'd\n'],
    ]);
    expect(outputs).toHaveLength(2);
    expect(frames.at(-1)).toMatchObject({ t: 'job.end', exitCode: 3, truncated: false, cancelled: false });
    expect(frames.filter((f) => f.t === 'job.end')).toHaveLength(1);

    // hello of the new connection names the job whose results it holds, and they follow at once.
    const hello = collector.hellos[hellosBefore];
    expect(hello?.jobs).toEqual(['chatty-1']);
    const after = collector.frames.slice(framesBefore).map((f) => ('jobId' in f ? `${f.t}:${f.jobId}` : f.t));
    // What piled up while disconnected goes merged: one output frame, then the end.
    expect(after.slice(0, 3)).toEqual(['hello', 'job.output:chatty-1', 'job.end:chatty-1']);
    expect(after.slice(5).every((t) => !t.startsWith('job.'))).toBe(true);
    expect(collector.invalid).toEqual([]);
  });

  it('names a job that still runs in hello.jobs after a dropped socket, then delivers the rest', async () => {
    collector.send({ t: 'job.start', jobId: 'nap-1', action: 'nap', params: {} });
    await collector.waitFor('first chunk', () => jobFrames('nap-1').length >= 1);
    const hellosBefore = collector.hellos.length;
    collector.socket?.terminate();
    await collector.waitFor('a new hello', () => collector.hellos.length > hellosBefore);
    expect(collector.hellos[hellosBefore]?.jobs).toEqual(['nap-1']);
    await collector.waitFor('job.end', () => jobFrames('nap-1').some((f) => f.t === 'job.end'));
    expect(
      jobFrames('nap-1').flatMap((f) => (f.t === 'job.output' ? outputParts(f).map((p) => p.data) : [f.t])),
    ).toEqual(['start\n', 'done\n', 'job.end']);

    // Once delivered, nothing is held: the next hello says so with an empty list.
    const again = collector.hellos.length;
    collector.socket?.terminate();
    await collector.waitFor('another hello', () => collector.hellos.length > again);
    expect(collector.hellos[again]?.jobs).toEqual([]);
  });
});
