import type { Cpu } from '@pantau/shared/lite';
import { fields, num, PROC, readProc, round2 } from './procfs.ts';

/** Jiffy counters of one CPU line of /proc/stat. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface CpuStat {
  total: CpuTimes;
  cores: CpuTimes[];
  /** Boot time, seconds since the epoch (`btime`). */
  bootTime: number;
}

function times(parts: string[]): CpuTimes {
  return {
    user: num(parts[1]),
    nice: num(parts[2]),
    system: num(parts[3]),
    idle: num(parts[4]),
    iowait: num(parts[5]),
    irq: num(parts[6]),
    softirq: num(parts[7]),
    steal: num(parts[8]),
  };
}

/** Parses /proc/stat: the aggregate `cpu` line, one `cpuN` line per core, and `btime`. */
export function parseProcStat(text: string): CpuStat {
  let total: CpuTimes | undefined;
  const cores: CpuTimes[] = [];
  let bootTime = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu')) {
      const parts = fields(line);
      if (parts[0] === 'cpu') total = times(parts);
      else cores.push(times(parts));
    } else if (line.startsWith('btime ')) {
      bootTime = num(fields(line)[1]);
    }
  }
  if (!total) throw new Error('no aggregate "cpu" line in /proc/stat');
  return { total, cores, bootTime };
}

// guest and guest_nice are already counted in user and nice, so they are left out of the sum.
function sum(t: CpuTimes): number {
  return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;
}

function busyPct(a: CpuTimes, b: CpuTimes): number {
  const total = sum(b) - sum(a);
  if (total <= 0) return 0;
  const idle = b.idle + b.iowait - (a.idle + a.iowait);
  return clampPct(((total - idle) / total) * 100);
}

function clampPct(n: number): number {
  return round2(Math.min(100, Math.max(0, n)));
}

/**
 * CPU use between two /proc/stat readings. Busy = everything but idle and iowait, the way top
 * and node_exporter's users compute it; user includes nice, system includes irq and softirq.
 */
export function cpuBetween(a: CpuStat, b: CpuStat): Cpu {
  const total = sum(b.total) - sum(a.total);
  const share = (pick: (t: CpuTimes) => number) =>
    total > 0 ? clampPct(((pick(b.total) - pick(a.total)) / total) * 100) : 0;
  return {
    total: busyPct(a.total, b.total),
    user: share((t) => t.user + t.nice),
    system: share((t) => t.system + t.irq + t.softirq),
    iowait: share((t) => t.iowait),
    steal: share((t) => t.steal),
    cores: b.cores.map((core, i) => {
      const before = a.cores[i];
      return before ? busyPct(before, core) : 0;
    }),
  };
}

export function readProcStat(): CpuStat {
  return parseProcStat(readProc(`${PROC}/stat`));
}

/** Keeps the previous reading so each call reports the CPU use since the last one. */
export class CpuCollector {
  #last: CpuStat;

  constructor(initial: CpuStat = readProcStat()) {
    this.#last = initial;
  }

  collect(now: CpuStat = readProcStat()): Cpu {
    const cpu = cpuBetween(this.#last, now);
    this.#last = now;
    return cpu;
  }
}
