import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDiskstats, physicalDevices } from './diskio.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('disk I/O', () => {
  it('sums 512-byte sectors over whole devices only', () => {
    const counters = parseDiskstats(data('diskstats-server.txt'), new Set(['sda', 'nvme0n1']));
    // sda + nvme0n1; sda1 (partition), dm-0 (on top of sda) and loop0 are left out.
    expect(counters).toEqual({
      readBytes: (8_000_000 + 400_000) * 512,
      writeBytes: (4_000_000 + 600_000) * 512,
    });
  });

  it('parses the captured diskstats of this kind of VM', () => {
    expect(parseDiskstats(data('diskstats.txt'), new Set(['vda'])).readBytes).toBe(1_123_466 * 512);
  });

  it('finds hardware-backed block devices in /sys/block', () => {
    for (const name of physicalDevices()) expect(name).not.toMatch(/^(loop|ram|dm-)/);
  });
});
