import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskFromStats, parseMounts } from './disks.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('disks', () => {
  it('keeps real filesystems, each device once, and decodes escaped mount paths', () => {
    expect(parseMounts(data('mounts-server.txt'))).toEqual([
      { device: '/dev/mapper/vg0-root', mount: '/', fstype: 'ext4' },
      { device: '/dev/sda1', mount: '/boot', fstype: 'ext4' },
      { device: '/dev/sda15', mount: '/boot/efi', fstype: 'vfat' },
      { device: '/dev/mapper/vg0-data', mount: '/srv/my data', fstype: 'xfs' },
      { device: 'nfs.example:/export', mount: '/mnt/backup', fstype: 'nfs4' },
    ]);
  });

  it('parses the captured mounts of this kind of VM', () => {
    expect(parseMounts(data('mounts.txt')).map((m) => m.mount)).toEqual(['/']);
  });

  it('computes sizes the way df does', () => {
    const disk = diskFromStats(
      { device: '/dev/vda', mount: '/', fstype: 'ext4' },
      { bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 },
    );
    expect(disk).toEqual({
      mount: '/',
      device: '/dev/vda',
      fstype: 'ext4',
      size: 4_096_000,
      used: 2_867_200,
      free: 1_024_000,
      usedPct: 73.68, // used / (used + available): the root reserve does not count as free
    });
  });
});
