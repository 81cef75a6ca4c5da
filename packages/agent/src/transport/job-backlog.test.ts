import { describe, expect, it } from 'vitest';
import { JobBacklog, type JobFrame } from './job-backlog.ts';

const out = (jobId: string, data: string, stream: 'stdout' | 'stderr' = 'stdout'): JobFrame => ({
  t: 'job.output',
  jobId,
  parts: [{ stream, data }],
});
const note = (bytes: number) => ({
  stream: 'stderr' as const,
  data: `[pantau-agent: ${bytes} bytes of output dropped while disconnected from the collector]\n`,
});
const end = (jobId: string, exitCode = 0): JobFrame => ({
  t: 'job.end',
  jobId,
  exitCode,
  signal: null,
  durationMs: 5,
  truncated: false,
  timedOut: false,
  cancelled: false,
});
const rejected = (jobId: string): JobFrame => ({
  t: 'job.rejected',
  jobId,
  code: 'JOB_LIMIT',
  reason: 'busy',
});

describe('JobBacklog', () => {
  it('gives back every frame once, each job in order with its output merged, jobs in first-seen order', () => {
    const b = new JobBacklog({ maxBytes: 1024, maxFrames: 100 });
    const frames = [
      out('j1', 'a\n'),
      out('j2', 'x\n', 'stderr'),
      out('j1', 'b\n'),
      end('j1'),
      rejected('j3'),
    ];
    for (const f of frames) b.push(f);
    expect(b.size).toBe(5);
    expect(b.bytes).toBe(6);
    expect(b.jobIds()).toEqual(['j1', 'j2', 'j3']);
    expect(b.drain()).toEqual([
      { t: 'job.output', jobId: 'j1', parts: [{ stream: 'stdout', data: 'a\nb\n' }] },
      end('j1'),
      out('j2', 'x\n', 'stderr'),
      rejected('j3'),
    ]);
    expect(b.size).toBe(0);
    expect(b.bytes).toBe(0);
    expect(b.drain()).toEqual([]);
    expect(b.jobIds()).toEqual([]);
  });

  it('drops the oldest output first when over the byte cap, counts it and marks the job truncated', () => {
    const b = new JobBacklog({ maxBytes: 10, maxFrames: 100 });
    b.push(out('j1', 'aaaa')); // dropped
    b.push(out('j1', 'bbbb')); // dropped
    b.push(out('j1', 'cccc'));
    b.push(out('j1', 'dddd'));
    b.push(out('j1', 'ee'));
    b.push(end('j1', 3));
    expect(b.dropped).toBe(2);
    expect(b.bytes).toBe(10);
    const drained = b.drain();
    expect(drained).toEqual([
      { t: 'job.output', jobId: 'j1', parts: [note(8), { stream: 'stdout', data: 'ccccddddee' }] },
      { ...end('j1', 3), truncated: true, droppedBytes: 8 },
    ]);
    expect(b.dropped).toBe(2); // counted since start, not reset by a drain
  });

  it('drops output over the frame cap but never job.end or job.rejected', () => {
    const b = new JobBacklog({ maxBytes: 1_000_000, maxFrames: 3 });
    b.push(out('j1', '1'));
    b.push(end('j1'));
    b.push(rejected('j2'));
    b.push(out('j3', '2'));
    b.push(end('j3'));
    b.push(end('j4'));
    expect(b.dropped).toBe(2);
    const drained = b.drain();
    expect(drained.filter((f) => f.t !== 'job.output')).toEqual([
      { ...end('j1'), truncated: true, droppedBytes: 1 },
      rejected('j2'),
      { ...end('j3'), truncated: true, droppedBytes: 1 },
      end('j4'),
    ]);
    // Each job that lost output gets one note, before its first kept frame.
    expect(drained.map((f) => `${f.t}:${f.jobId}`)).toEqual([
      'job.output:j1',
      'job.end:j1',
      'job.rejected:j2',
      'job.output:j3',
      'job.end:j3',
      'job.end:j4',
    ]);
  });

  it('tells a still-running job whose held output all went that some was dropped', () => {
    const b = new JobBacklog({ maxBytes: 4, maxFrames: 100 });
    b.push(out('j1', 'aaaa'));
    b.push(out('j2', 'bbbb'));
    const drained = b.drain();
    expect(drained).toHaveLength(2);
    expect(drained[0]).toEqual(out('j2', 'bbbb'));
    expect(drained[1]).toEqual({ t: 'job.output', jobId: 'j1', parts: [note(4)] });
  });

  it("sends what piled up in few frames: a reconnect never bursts past the collector's frame limit", () => {
    const b = new JobBacklog({ maxBytes: 1_000_000, maxFrames: 100_000 });
    for (let i = 0; i < 5_000; i++) b.push(out('j1', `line ${i}\n`, i % 2 === 0 ? 'stdout' : 'stderr'));
    const drained = b.drain();
    expect(drained.length).toBeLessThanOrEqual(3);
    const parts = drained.flatMap((f) => (f.t === 'job.output' ? f.parts : []));
    expect(parts).toHaveLength(5_000);
    expect(parts[4_999]).toEqual({ stream: 'stderr', data: 'line 4999\n' });
  });

  it('keeps a single chunk larger than the cap out, not the frames after it', () => {
    const b = new JobBacklog({ maxBytes: 5, maxFrames: 100 });
    b.push(out('j1', 'x'.repeat(50)));
    b.push(end('j1', 1));
    expect(b.bytes).toBe(0);
    expect(b.drain().map((f) => f.t)).toEqual(['job.output', 'job.end']);
  });
});
