// How the bench measures a process tree from /proc: CPU as the time every thread of every
// process in it spent on a CPU (/proc/PID/task/TID/schedstat, nanoseconds; utime + stime come in
// 10 ms ticks, too coarse for agents that use a few ticks a minute), peak RSS as VmHWM, PSS from smaps_rollup, anonymous memory as RssAnon. A
// multi-process agent (zabbix_agentd forks its collector and listeners) is the sum of its
// processes; its peak RSS then counts shared pages once per process, as ps would.
import { readdirSync, readFileSync } from 'node:fs';

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
