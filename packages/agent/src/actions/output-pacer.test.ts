import type { JobEndFrame } from '@pantau/shared';
import { Limits } from '@pantau/shared';
import { describe, expect, it } from 'vitest';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { OutputPacer, type PartsFrame } from './output-pacer.ts';

const end = (jobId: string): JobEndFrame => ({
  t: 'job.end',
  jobId,
  exitCode: 0,
  signal: null,
  durationMs: 1,
  truncated: false,
  droppedBytes: 0,
  timedOut: false,
  cancelled: false,
});

function pacer(options: { congested?: () => boolean } = {}) {
  const time = new FakeTime(0);
  const sent: (PartsFrame | JobEndFrame)[] = [];
  const flow = new Map<string, string[]>();
  const p = new OutputPacer({ send: (f) => sent.push(f), now: time.now, timers: time.timers, ...options });
  const open = (jobId: string) => {
    const calls: string[] = [];
    flow.set(jobId, calls);
    p.open(jobId, { pause: () => calls.push('pause'), resume: () => calls.push('resume') });
  };
  const text = (jobId: string, stream: 'stdout' | 'stderr') =>
    sent
      .flatMap((f) => (f.t === 'job.output' && f.jobId === jobId ? f.parts : []))
      .filter((part) => part.stream === stream)
      .map((part) => part.data)
      .join('');
  return { p, time, sent, flow, open, text };
}

describe('OutputPacer', () => {
  it('sends both streams in one frame in the order written, once the flush time is up', () => {
    const { p, time, sent, open } = pacer();
    open('j');
    p.write('j', 'stdout', 'first\n');
    p.write('j', 'stderr', 'second\n');
    p.write('j', 'stdout', 'third\n');
    p.write('j', 'stderr', 'fourth\n');
    time.advance(199);
    expect(sent).toEqual([]);
    time.advance(1);
    expect(sent).toEqual([
      {
        t: 'job.output',
        jobId: 'j',
        parts: [
          { stream: 'stdout', data: 'first\n' },
          { stream: 'stderr', data: 'second\n' },
          { stream: 'stdout', data: 'third\n' },
          { stream: 'stderr', data: 'fourth\n' },
        ],
      },
    ]);
  });

  it('keeps two busy jobs within 5 frames/s after its burst, loses nothing, and pauses a job that outruns it', () => {
    const { p, time, sent, open, flow, text } = pacer();
    open('a');
    open('b');
    const want = { a: '', b: '' };
    const pad = 'x'.repeat(40);
    // 10,000 lines on each stream of each job, 100 lines per job every 10 ms: 1 MB a second
    // per job, more than the frame budget carries, so the jobs are paused now and then.
    for (let i = 0; i < 10_000; i++) {
      for (const job of ['a', 'b'] as const) {
        p.write(job, 'stdout', `out ${i} ${pad}\n`);
        p.write(job, 'stderr', `err ${i} ${pad}\n`);
        want[job] += `out ${i} ${pad}\n`;
      }
      if (i % 100 === 99) time.advance(10);
    }
    p.end(end('a'));
    p.end(end('b'));
    const frames = () => sent.filter((f) => f.t === 'job.output').length;
    // Over any 10 s no more than the burst and 5 a second.
    for (let s = 0; s < 60 && p.waiting > 0; s++) {
      const before = frames();
      time.advance(10_000);
      expect(frames() - before).toBeLessThanOrEqual(10 + 50);
    }
    expect(p.waiting).toBe(0);
    expect(text('a', 'stdout')).toBe(want.a);
    expect(text('b', 'stdout')).toBe(want.b);
    expect(text('a', 'stderr').split('\n')).toHaveLength(10_001);
    for (const f of sent) {
      if (f.t === 'job.output') {
        expect(f.parts.reduce((n, part) => n + part.data.length, 0)).toBeLessThanOrEqual(Limits.outputFrame);
      }
    }
    // Each job's end came after all of its output.
    for (const job of ['a', 'b']) {
      const last = sent.map((f, i) => [f, i] as const).filter(([f]) => f.jobId === job);
      expect(last.at(-1)![0].t).toBe('job.end');
    }
    expect(flow.get('a')![0]).toBe('pause');
    expect(flow.get('a')!.at(-1)).toBe('resume');
  });

  it('sends everything at once when the agent stops, each end after its output', () => {
    // A full send buffer holds everything back; a stop sends it anyway rather than lose it.
    const { p, sent, open } = pacer({ congested: () => true });
    open('j');
    p.write('j', 'stdout', 'last words\n');
    p.end(end('j'));
    expect(sent).toEqual([]);
    p.drain();
    expect(sent.map((f) => f.t)).toEqual(['job.output', 'job.end']);
    expect(p.jobIds()).toEqual([]);
  });

  it('sends nothing while the connection is congested, and goes on when it drains', () => {
    let congested = true;
    const { p, time, sent, open } = pacer({ congested: () => congested });
    open('j');
    p.write('j', 'stdout', 'x\n');
    time.advance(1_000);
    expect(sent).toEqual([]);
    congested = false;
    time.advance(50);
    expect(sent).toHaveLength(1);
  });
});
