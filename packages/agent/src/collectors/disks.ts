import { type StatsFs, statfs as statfsCallback } from 'node:fs';
import type { Disk } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { systemTimers, type Timers } from '../clock.ts';
import { fields, PROC, readProc, round2 } from './procfs.ts';

export interface Mount {
  device: string;
  mount: string;
  fstype: string;
}

/** Pseudo and in-memory filesystems: no disk behind them, or nothing an operator can fill. */
const SKIP_FSTYPES = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'hugetlbfs',
  'mqueue',
  'nsfs',
  'overlay',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
  'fuse.lxcfs',
  'fuse.portal',
  'iso9660',
]);
const SKIP_MOUNTS =
  /^\/(dev|proc|sys|run\/credentials\/.+|var\/lib\/docker\/.+|var\/lib\/containers\/.+|snap\/.+)($|\/)/;

/** Mount paths escape space, tab, newline and backslash as \040 style octal. */
function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Parses /proc/self/mounts into the filesystems worth reporting: real filesystems only, each
 * mount point once, and a device mounted several times (bind mounts) only at its first mount.
 */
export function parseMounts(text: string): Mount[] {
  const seenMounts = new Set<string>();
  const seenDevices = new Set<string>();
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const [rawDevice, rawMount, fstype] = fields(line);
    if (!rawDevice || !rawMount || !fstype) continue;
    const mount = unescapeMount(rawMount);
    const device = unescapeMount(rawDevice);
    if (SKIP_FSTYPES.has(fstype) || SKIP_MOUNTS.test(mount)) continue;
    if (seenMounts.has(mount) || (device.startsWith('/') && seenDevices.has(device))) continue;
    seenMounts.add(mount);
    seenDevices.add(device);
    out.push({ device, mount, fstype });
  }
  return out.slice(0, Limits.items);
}

export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/** Sizes as df reports them: used excludes the root reserve, free is what users may still write. */
export function diskFromStats(m: Mount, s: FsStats): Disk {
  const size = s.blocks * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  const free = s.bavail * s.bsize;
  return {
    mount: m.mount.slice(0, Limits.name),
    device: m.device.slice(0, Limits.name),
    fstype: m.fstype.slice(0, Limits.name),
    size,
    used,
    free,
    usedPct: used + free > 0 ? round2((used / (used + free)) * 100) : 0,
  };
}

/** Not node:fs/promises for this one call: that loads ~1.7 MB of modules (readline, streams). */
function statfs(path: string): Promise<StatsFs> {
  return new Promise((resolve, reject) =>
    statfsCallback(path, (err, stats) => (err ? reject(err) : resolve(stats))),
  );
}

/** A hung network mount must not hold the snapshot up: each statfs gets this long. */
const STATFS_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, timers: Timers): Promise<T> {
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => timers.clearTimeout(timer));
}

/** Per-mount usage; mounts that vanish or time out are left out, and the first failure is reported. */
export async function collectDisks(
  timers: Timers = systemTimers,
): Promise<{ disks: Disk[]; error?: string }> {
  const mounts = parseMounts(readProc(`${PROC}/self/mounts`));
  const results = await Promise.allSettled(
    mounts.map(async (m) =>
      diskFromStats(m, await withTimeout(statfs(m.mount), STATFS_TIMEOUT_MS, `statfs ${m.mount}`, timers)),
    ),
  );
  const disks: Disk[] = [];
  let error: string | undefined;
  for (const r of results) {
    if (r.status === 'fulfilled') disks.push(r.value);
    else error ??= (r.reason as Error).message;
  }
  return error === undefined ? { disks } : { disks, error };
}
