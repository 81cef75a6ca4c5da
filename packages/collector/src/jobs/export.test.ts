import { describe, expect, it } from 'vitest';
import { outputTail, reportRow, TAIL_CHARS, toCsv } from './export.ts';
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
  error: null,
};
const chunk = (data: string): JobEvent => ({
  jobId: 7,
  seq: 1,
  at: 0,
  type: 'output',
  hostId: 3,
  data: { data },
});

describe('job reports', () => {
  it('keep the last characters of the output, both streams in order', () => {
    expect(outputTail([chunk('a\n'), chunk('b\n')])).toBe('a\nb\n');
    const long = outputTail([chunk('x'.repeat(TAIL_CHARS)), chunk('end')]);
    expect(long).toHaveLength(TAIL_CHARS);
    expect(long.endsWith('xend')).toBe(true);
  });

  it('write RFC 4180 CSV with every field quoted and formulas defused', () => {
    const row = reportRow(
      { id: 7, activity: 'uptime', actor: 'user:1', actorName: 'Ann Admin' },
      run,
      '=HYPERLINK("x")\n"quoted"',
    );
    const csv = toCsv([row]);
    expect(csv).toBe(
      'jobId,activity,actor,actorName,hostId,host,state,exitCode,startedAt,endedAt,durationMs,outputTail\r\n' +
        '"7","uptime","user:1","Ann Admin","3","web-1","failed","2","2026-01-01T10:00:00.000Z","2026-01-01T10:00:01.000Z","1000","\'=HYPERLINK(""x"")\n""quoted"""\r\n',
    );
  });
});
