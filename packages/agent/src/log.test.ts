import { describe, expect, it } from 'vitest';
import { jsonLog, prettyLine } from './log.ts';

function capture(level: Parameters<typeof jsonLog>[0]) {
  const lines: string[] = [];
  const log = jsonLog(level, (line) => lines.push(line));
  return { log, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
}

describe('jsonLog', () => {
  it('writes one JSON line per call in pino’s shape: level number, time, pid, name, fields, msg', () => {
    const { log, records, lines } = capture('info');
    const before = Date.now();
    log.info({ url: 'wss://c/agent', acked: 3 }, 'welcomed by the collector');
    log.warn('collector slow');
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const [first, second] = records();
    expect(first).toMatchObject({
      level: 30,
      pid: process.pid,
      name: 'pantau-agent',
      url: 'wss://c/agent',
      acked: 3,
      msg: 'welcomed by the collector',
    });
    expect(first?.time).toBeGreaterThanOrEqual(before);
    expect(second).toMatchObject({ level: 40, msg: 'collector slow' });
  });

  it('drops lines below the configured level, and everything when silent', () => {
    const warn = capture('warn');
    warn.log.debug({}, 'd');
    warn.log.info({}, 'i');
    warn.log.error({ err: 'boom' }, 'e');
    expect(warn.records().map((r) => r.level)).toEqual([50]);
    const debug = capture('debug');
    debug.log.debug({}, 'd');
    expect(debug.records().map((r) => r.msg)).toEqual(['d']);
    const silent = capture('silent');
    silent.log.error({}, 'e');
    expect(silent.lines).toEqual([]);
  });

  it('logs a field JSON cannot encode as its string form instead of throwing', () => {
    const { log, records } = capture('info');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    log.info({ big: 10n, cyclic, ok: 'yes' }, 'odd fields');
    expect(records()[0]).toMatchObject({
      big: '10',
      cyclic: '[object Object]',
      ok: 'yes',
      msg: 'odd fields',
    });
  });

  it('keeps the message from being overwritten by a field named msg only when a message is given', () => {
    const { log, records } = capture('info');
    log.info({ msg: 'from fields' }, 'from message');
    log.info({ msg: 'from fields' });
    expect(records().map((r) => r.msg)).toEqual(['from message', 'from fields']);
  });
});

describe('prettyLine', () => {
  it('renders a record as time, level and message, then the fields, without pid and name', () => {
    const json = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5),
      pid: 7,
      name: 'pantau-agent',
      url: 'wss://c/agent',
      code: 1006,
      msg: 'disconnected',
    });
    expect(prettyLine(json)).toBe(
      '03:04:05Z \x1b[33mWARN \x1b[0m disconnected url=wss://c/agent code=1006\n',
    );
  });
});
