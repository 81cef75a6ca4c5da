import { readFileSync, statfsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuCollector } from './collectors/cpu.ts';
import { collectDisks } from './collectors/disks.ts';
import { collectMemory } from './collectors/memory.ts';

/** Independent of the agent's parsers: the first line of /proc/stat, busy = all − idle − iowait. */
function cpuLine(): { total: number; idle: number } {
  const values = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  return { total: values.reduce((a, b) => a + b, 0), idle: (values[3] ?? 0) + (values[4] ?? 0) };
}

function meminfoKb(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m?.[1]);
}

describe('accuracy against /proc and statfs read independently over the same window', () => {
  it('CPU busy % agrees within 1 point', async () => {
    // Load one core a little so the figure is not trivially 0.
    const burn = setInterval(() => {
      const end = performance.now() + 20;
      while (performance.now() < end);
    }, 40);
    try {
      const before = cpuLine();
      const collector = new CpuCollector();
      // CPU % is a rate: measured over a window, as /proc is read over the same one.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const cpu = collector.collect();
      const after = cpuLine();
      const total = after.total - before.total;
      const expected = ((total - (after.idle - before.idle)) / total) * 100;
      expect(cpu.total).toBeGreaterThan(0);
      expect(Math.abs(cpu.total - expected)).toBeLessThanOrEqual(1);
    } finally {
      clearInterval(burn);
    }
  });

  it('memory used agrees within 1 %', () => {
    const { memory } = collectMemory();
    const expected = (meminfoKb('MemTotal') - meminfoKb('MemAvailable')) * 1024;
    expect(Math.abs(memory.used - expected) / memory.total).toBeLessThanOrEqual(0.01);
    expect(memory.total).toBe(meminfoKb('MemTotal') * 1024);
  });

  it('per-mount disk used is exact', async () => {
    // The filesystems are live (other processes write); compare readings taken back to back and
    // retry a few times before calling a difference real.
    let mismatches: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const { disks } = await collectDisks();
      expect(disks.length).toBeGreaterThan(0);
      mismatches = disks.flatMap((d) => {
        const s = statfsSync(d.mount);
        const used = (s.blocks - s.bfree) * s.bsize;
        const size = s.blocks * s.bsize;
        return used === d.used && size === d.size
          ? []
          : [`${d.mount}: agent ${d.used}/${d.size}, statfs ${used}/${size}`];
      });
      if (mismatches.length === 0) break;
    }
    expect(mismatches).toEqual([]);
  });
});
