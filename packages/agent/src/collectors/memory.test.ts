import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMeminfo } from './memory.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('memory', () => {
  it('parses /proc/meminfo into bytes with used = total − available', () => {
    const { memory, swap } = parseMeminfo(data('meminfo.txt'));
    expect(memory.total).toBe(24_684_092 * 1024);
    expect(memory.available).toBe(23_968_704 * 1024);
    expect(memory.used).toBe((24_684_092 - 23_968_704) * 1024);
    expect(memory.buffers).toBe(20_888 * 1024);
    expect(memory.cached).toBe((1_013_268 + 117_296) * 1024); // Cached + SReclaimable
    expect(swap).toEqual({ total: 0, used: 0 });
  });

  it('estimates available memory on kernels without MemAvailable', () => {
    const { memory, swap } = parseMeminfo(data('meminfo-old-kernel.txt'));
    const available = (512_000 + 102_400 + 409_600 + 51_200) * 1024;
    expect(memory.available).toBe(available);
    expect(memory.used).toBe(2_048_000 * 1024 - available);
    expect(swap).toEqual({ total: 1_048_576 * 1024, used: 262_144 * 1024 });
  });

  it('reads each key at a line start only (Cached is not SwapCached), in any order', () => {
    const text =
      'SwapCached:     999 kB\nMemTotal:        2000 kB\nCached:   300 kB\nMemAvailable:  1500 kB\n';
    const { memory } = parseMeminfo(text);
    expect(memory).toEqual({
      total: 2_048_000,
      used: 512_000,
      available: 1_536_000,
      buffers: 0,
      cached: 307_200,
    });
  });

  it('reads the same values as a line-by-line reading on this machine', () => {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const kb = new Map(
      text
        .trim()
        .split('\n')
        .map((line) => [
          line.slice(0, line.indexOf(':')),
          Number(
            line
              .slice(line.indexOf(':') + 1)
              .trim()
              .split(/\s+/)[0],
          ),
        ]),
    );
    const get = (key: string) => (kb.get(key) ?? 0) * 1024;
    const { memory, swap } = parseMeminfo(text);
    expect(memory.total).toBe(get('MemTotal'));
    expect(memory.available).toBe(get('MemAvailable'));
    expect(memory.cached).toBe(get('Cached') + get('SReclaimable'));
    expect(memory.buffers).toBe(get('Buffers'));
    expect(swap.total).toBe(get('SwapTotal'));
  });

  it('refuses meminfo without MemTotal', () => {
    expect(() => parseMeminfo('MemFree: 1 kB\n')).toThrow(/MemTotal/);
  });
});
