import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { until } from '../../../../test/support/until.ts';
import { HeldFiles, parseOpenFileLimit } from './procfs.ts';

const state = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
const openFds = () => readdirSync('/proc/self/fd').length;

describe('HeldFiles', () => {
  it('reads a kept-open /proc file afresh each time, and fails once its process has ended', async () => {
    const child = spawn('sleep', ['30']);
    const files = new HeldFiles();
    const path = `/proc/${child.pid}/stat`;
    try {
      await until('sleep to be sleeping', () => state(files.read(path)) === 'S');
      child.kill('SIGSTOP');
      await until('the stopped state', () => state(files.read(path)) === 'T');
      expect(files.size).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    await until('the read to fail', () => {
      try {
        files.read(path);
        return false; // a zombie until reaped
      } catch {
        return true;
      }
    });
    expect(files.size).toBe(0);
  });

  it('closes at a sweep the files not read since the last one, and keeps at most max open', () => {
    const before = openFds();
    const files = new HeldFiles(2);
    for (const name of ['stat', 'statm', 'status']) files.read(`/proc/self/${name}`);
    expect(files.size).toBe(2);
    expect(openFds()).toBe(before + 2);
    files.sweep();
    files.read('/proc/self/stat');
    files.sweep();
    expect(files.size).toBe(1);
    files.sweep(); // nothing read since the last sweep
    expect(openFds()).toBe(before);
  });
});

describe('parseOpenFileLimit', () => {
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units     \nMax processes             95000                95000                processes \nMax open files            ${soft}                524288               files     \n`;
  it('reads the soft limit of open files', () => {
    expect(parseOpenFileLimit(limits('1024'))).toBe(1024);
    expect(parseOpenFileLimit(limits('unlimited'))).toBe(Number.POSITIVE_INFINITY);
  });
  it('assumes 1024 when the line is missing or unreadable', () => {
    expect(parseOpenFileLimit('')).toBe(1024);
    expect(parseOpenFileLimit(limits('many'))).toBe(1024);
  });
});
