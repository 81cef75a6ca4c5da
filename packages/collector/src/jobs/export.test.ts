import { describe, expect, it } from 'vitest';
import { outputTail, reportRow, TAIL_CHARS, toCsv } from './export.ts';
import { markedText } from './output-text.ts';
import type { JobEvent, Run } from './types.ts';

const run: Run = {
  jobId: 7,
  hostId: 3,
  host: 'web-1',
  state: 'failed',
  exitCode: 2,
  signal: null,
  startedAt: Date.UTC(2026, 0, 1, 10, 0, 0),
  endedAt: Date.UTC(2026, 0, 1, 10, 0, 1),
  durationMs: 1000,
  truncated: false,
  droppedBytes: 0,
  error: null,
};
const chunk = (data: string, stream: 'stdout' | 'stderr' = 'stdout'): JobEvent => ({
  jobId: 7,
  seq: 1,
  at: 0,
  type: 'output',
  hostId: 3,
  data: { stream, data },
});

describe('job reports', () => {
  it('keep the last characters of the output, both streams interleaved in order and marked', () => {
    expect(
      outputTail([
        chunk('first\n'),
        chunk('second\n', 'stderr'),
        chunk('third\n'),
        chunk('fourth\n', 'stderr'),
      ]),
    ).toBe('| first\n! second\n| third\n! fourth\n');
    const long = outputTail([chunk('x'.repeat(TAIL_CHARS)), chunk('end')]);
    expect(long).toHaveLength(TAIL_CHARS);
    expect(long.endsWith('xend')).toBe(true);
  });

  it('mark every line with its stream, starting a new line where the stream changes mid-line', () => {
    expect(
      markedText([
        { stream: 'stdout', data: 'progress 10%' },
        { stream: 'stderr', data: 'warning: slow\nsecond warning\n' },
        { stream: 'stdout', data: ' done\nbye' },
      ]),
    ).toBe('| progress 10%\n! warning: slow\n! second warning\n|  done\n| bye');
  });

  it('write RFC 4180 CSV with every field quoted and formulas defused', () => {
    const row = reportRow(
      { id: 7, activity: 'uptime', actor: 'user:1', actorName: 'Ann Admin' },
      run,
      '=HYPERLINK("x")\n"quoted"',
    );
    const csv = toCsv([row]);
    expect(csv).toBe(
      'jobId,activity,actor,actorName,hostId,host,state,exitCode,startedAt,endedAt,durationMs,outputTail,error\r\n' +
        '"7","uptime","user:1","Ann Admin","3","web-1","failed","2","2026-01-01T10:00:00.000Z","2026-01-01T10:00:01.000Z","1000","\'=HYPERLINK(""x"")\n""quoted""",\r\n',
    );
  });

  it('carry the reason a run failed in the error column', () => {
    const row = reportRow(
      { id: 7, activity: 'ping', actor: 'token:1', actorName: 'token 1' },
      { ...run, error: 'spawn ping ENOENT' },
      '',
    );
    expect(toCsv([row]).split('\r\n')[1]!.endsWith(',"spawn ping ENOENT"')).toBe(true);
  });
});
