import { describe, expect, it } from 'vitest';
import { formatDuration, HostPrinter, printable, summaryTable } from './run-output.ts';

describe('HostPrinter', () => {
  it('prefixes whole lines with the host, marks stderr and holds partial lines per host and stream', () => {
    const lines: string[] = [];
    const p = new HostPrinter((l) => lines.push(l), ['web-1', 'db-10']);
    p.output('web-1', 'stdout', 'hel');
    p.output('db-10', 'stdout', 'one\r\ntwo\n');
    p.output('web-1', 'stderr', 'oops\n');
    p.output('web-1', 'stdout', 'lo\nwor');
    expect(lines).toEqual(['db-10 | one', 'db-10 | two', 'web-1 ! oops', 'web-1 | hello']);
    p.flush('web-1');
    p.note('web-1', 'succeeded (exit 0)');
    expect(lines.slice(4)).toEqual(['web-1 | wor', 'web-1 = succeeded (exit 0)']);
    p.flushAll();
    expect(lines).toHaveLength(6);
  });

  it('never lets host output or names drive the terminal', () => {
    const lines: string[] = [];
    const p = new HostPrinter((l) => lines.push(l));
    p.output('evil\u001b[2J', 'stdout', 'a\u001b]0;title\u0007b\u009bc\tok\n');
    expect(lines).toEqual(['evil?[2J | a?]0;title?b?c\tok']);
    expect(printable('\u0000x\u007f')).toBe('?x?');
  });
});

describe('summaryTable', () => {
  it('lists host, state, exit code and duration with notes and a tally', () => {
    const table = summaryTable([
      { hostId: 1, host: 'web-1', state: 'succeeded', exitCode: 0, durationMs: 210 },
      {
        hostId: 2,
        host: 'web-2',
        state: 'failed',
        exitCode: 3,
        durationMs: 15_250,
        truncated: true,
        droppedBytes: 4096,
      },
      {
        hostId: 3,
        host: 'db-1',
        state: 'unreachable',
        exitCode: null,
        durationMs: null,
        error: 'host is offline',
      },
      { hostId: 4, host: 'db-2', state: 'timed_out', exitCode: null, signal: 'SIGKILL', durationMs: 125_000 },
    ]);
    expect(table).toEqual([
      'HOST   STATE        EXIT     DURATION    NOTE',
      'web-1  succeeded    0        0.21 s',
      'web-2  failed       3        15.3 s      output truncated, 4096 bytes dropped',
      'db-1   unreachable  -        -           host is offline',
      'db-2   timed_out    SIGKILL  2 min 05 s',
      '4 hosts: 1 succeeded, 1 failed, 1 unreachable, 1 timed_out',
    ]);
  });

  it('leaves out the note column when no host has one', () => {
    expect(summaryTable([{ hostId: 1, host: 'a', state: 'succeeded', exitCode: 0, durationMs: 5 }])).toEqual([
      'HOST  STATE      EXIT  DURATION',
      'a     succeeded  0     0.01 s',
      '1 host: 1 succeeded',
    ]);
  });

  it('formats durations for people', () => {
    expect([
      formatDuration(undefined),
      formatDuration(9_999),
      formatDuration(59_940),
      formatDuration(61_000),
    ]).toEqual(['-', '10.00 s', '59.9 s', '1 min 01 s']);
  });
});
