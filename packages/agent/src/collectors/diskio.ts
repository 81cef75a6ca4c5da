import { existsSync, readdirSync } from 'node:fs';
import type { DiskIo } from '@pantau/shared/lite';
import { monotonicMs } from '../clock.ts';
import { fields, num, PROC, rate, readProc, SYS } from './procfs.ts';

/** /proc/diskstats counts 512-byte sectors whatever the device's real sector size. */
const SECTOR = 512;

export interface DiskCounters {
  readBytes: number;
  writeBytes: number;
}

/**
 * Sums read and written bytes over the given whole devices. Partitions, device-mapper and md
 * devices sit on top of those and would count the same bytes twice.
 */
export function parseDiskstats(text: string, devices: ReadonlySet<string>): DiskCounters {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    const f = fields(line);
    const name = f[2];
    if (name === undefined || !devices.has(name)) continue;
    readBytes += num(f[5]) * SECTOR;
    writeBytes += num(f[9]) * SECTOR;
  }
  return { readBytes, writeBytes };
}

/** Block devices backed by hardware (virtio, SCSI, NVMe, ...): /sys/block/X/device exists. */
export function physicalDevices(sysBlock = `${SYS}/block`): Set<string> {
  const names = new Set<string>();
  for (const name of readdirSync(sysBlock)) {
    if (existsSync(`${sysBlock}/${name}/device`)) names.add(name);
  }
  return names;
}

export class DiskIoCollector {
  #devices: Set<string>;
  #last: DiskCounters;
  #at: number;

  constructor() {
    this.#devices = physicalDevices();
    this.#last = this.read();
    this.#at = monotonicMs();
  }

  read(): DiskCounters {
    return parseDiskstats(readProc(`${PROC}/diskstats`), this.#devices);
  }

  /** Re-reads the device list, e.g. hourly, so hot-plugged disks are counted. */
  refreshDevices(): void {
    this.#devices = physicalDevices();
    this.#last = this.read();
  }

  collect(): DiskIo {
    const now = this.read();
    const at = monotonicMs();
    const seconds = (at - this.#at) / 1000;
    const out = {
      readBps: rate(now.readBytes, this.#last.readBytes, seconds),
      writeBps: rate(now.writeBytes, this.#last.writeBytes, seconds),
    };
    this.#last = now;
    this.#at = at;
    return out;
  }
}
