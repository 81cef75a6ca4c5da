// How the bench measures a process tree from /proc: CPU as the time every thread of every
// process in it spent on a CPU (/proc/PID/task/TID/schedstat, nanoseconds; utime + stime come in
// 10 ms ticks, too coarse for agents that use a few ticks a minute), peak RSS as VmHWM, PSS from smaps_rollup, anonymous memory as RssAnon. A
// multi-process agent (zabbix_agentd forks its collector and listeners) is the sum of its
// processes; its peak RSS then counts shared pages once per process, as ps would.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The pid and every descendant of it. */
export function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i] as number) ?? []));
  return out;
}

/** CPU seconds of a process's threads so far (a thread that ends takes its share along). */
function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {} // the thread ended
  }
  return ns / 1e9;
}

function kb(text: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
}

/** CPU seconds of each process of a tree so far, by pid. */
export function cpuOf(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
}

export interface Memory {
  /** Peak RSS (VmHWM), MB. */
  peakRss: number;
  /** Proportional set size now, MB: shared pages divided among the processes sharing them. */
  pss: number;
  /** Anonymous resident memory now (heaps, stacks), MB. */
  anon: number;
}

export function memoryOf(pids: readonly number[]): Memory {
  const m = { peakRss: 0, pss: 0, anon: 0 };
  for (const pid of pids) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    m.peakRss += kb(status, 'VmHWM') / 1024;
    m.anon += kb(status, 'RssAnon') / 1024;
    m.pss += kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss') / 1024;
  }
  return m;
}

/** The 1-minute load average. */
export function load1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Resident memory by kind of mapping, MB (see residentByKind). */
export type Breakdown = Record<(typeof KINDS)[number], number>;

export const KINDS = [
  'node code',
  'node read-only data',
  'shared libraries',
  'V8 heap',
  'malloc',
  'thread stacks',
  'other anonymous',
] as const;

const KB = 1024;
/** V8 allocates its heap in 256 KB pages aligned to their size. */
const V8_PAGE = 256 * KB;
/** glibc's per-thread malloc arenas are 64 MB regions aligned to their size. */
const ARENA = 64 * KB * KB;

/**
 * Where a process's resident memory is, from /proc/PID/smaps: the program's own code and
 * read-only data (the node binary, or the single executable), other files mapped (shared
 * libraries), and anonymous memory told apart by shape: V8's heap pages, malloc's heap and
 * arenas, thread stacks (8 MB mappings), the rest.
 */
export function residentByKind(pid: number): Breakdown {
  const program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] as string;
  const exe = readlinkSync(`/proc/${pid}/exe`);
  const out = Object.fromEntries(KINDS.map((k) => [k, 0])) as Breakdown;
  let kind: (typeof KINDS)[number] | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const [start, end] = [Number.parseInt(head[1] as string, 16), Number.parseInt(head[2] as string, 16)];
      const [perms, path] = [head[3] as string, head[4] as string];
      const size = end - start;
      if (path === exe || (path !== '' && path === program))
        kind = perms.includes('x')
          ? 'node code'
          : perms.includes('w')
            ? 'other anonymous'
            : 'node read-only data';
      else if (path === '[heap]') kind = 'malloc';
      else if (path === '[stack]') kind = 'thread stacks';
      else if (path.startsWith('/')) kind = 'shared libraries';
      else if (start % ARENA === 0) kind = 'malloc';
      else if (size >= 8 * KB * KB - 16 * KB && size <= 8 * KB * KB) kind = 'thread stacks';
      else if (start % V8_PAGE === 0 && size % V8_PAGE === 0) kind = 'V8 heap';
      else kind = 'other anonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && kind) out[kind] += Number(rss[1]) / KB;
  }
  return out;
}
