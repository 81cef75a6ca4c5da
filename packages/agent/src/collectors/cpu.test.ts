import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuBetween, parseProcStat } from './cpu.ts';
import { parseLoadavg } from './load.ts';
import { parseUptime } from './uptime.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('cpu', () => {
  it('parses /proc/stat', () => {
    const stat = parseProcStat(data('proc-stat-a.txt'));
    expect(stat.total).toEqual({
      user: 24174,
      nice: 0,
      system: 9354,
      idle: 78625,
      iowait: 204,
      irq: 0,
      softirq: 94,
      steal: 40,
    });
    expect(stat.cores).toHaveLength(2);
    expect(stat.bootTime).toBeGreaterThan(1_600_000_000);
  });

  it('computes busy % between two readings', () => {
    const cpu = cpuBetween(parseProcStat(data('proc-stat-a.txt')), parseProcStat(data('proc-stat-b.txt')));
    // total delta: user 10 + system 12 + idle 176 + softirq 1 = 199 jiffies; busy = 23.
    expect(cpu.total).toBe(11.56);
    expect(cpu.user).toBe(5.03);
    expect(cpu.system).toBe(6.53);
    expect(cpu.iowait).toBe(0);
    expect(cpu.steal).toBe(0);
    // core 0: user 7, system 5, idle 88 → 12 of 100; core 1: user 3, system 7, idle 88, softirq 1 → 11 of 99.
    expect(cpu.cores).toEqual([12, 11.11]);
  });

  it('counts iowait and steal apart and never reports outside 0–100', () => {
    const a = 'cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 100 0 100 1000 0 0 0 0 0 0\n';
    const b = 'cpu  150 10 130 1100 50 0 10 50 0 0\ncpu0 150 10 130 1100 50 0 10 50 0 0\n';
    const cpu = cpuBetween(parseProcStat(a), parseProcStat(b));
    // delta: user 50 nice 10 system 30 idle 100 iowait 50 softirq 10 steal 50 = 300; busy = 150.
    expect(cpu).toEqual({ total: 50, user: 20, system: 13.33, iowait: 16.67, steal: 16.67, cores: [50] });
    expect(cpuBetween(parseProcStat(b), parseProcStat(b)).total).toBe(0);
  });

  it('refuses text without a cpu line', () => {
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(/no aggregate "cpu" line/);
  });
});

describe('load and uptime', () => {
  it('parses /proc/loadavg', () => {
    expect(parseLoadavg('0.31 0.27 0.12 1/92 9332\n')).toEqual({ l1: 0.31, l5: 0.27, l15: 0.12 });
    expect(Object.keys(parseLoadavg(data('loadavg.txt')))).toEqual(['l1', 'l5', 'l15']);
    expect(() => parseLoadavg('')).toThrow(/unexpected/);
  });

  it('parses /proc/uptime', () => {
    expect(parseUptime('308.17 481.79\n')).toBe(308.17);
    expect(parseUptime(data('uptime.txt'))).toBeGreaterThan(0);
    expect(() => parseUptime('abc')).toThrow(/unexpected/);
  });
});
