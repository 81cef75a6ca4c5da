import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Process, Processes } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { monotonicMs, wallClock } from '../clock.ts';
import { CLOCK_TICKS, HeldFiles, num, PROC, readProc, round2 } from './procfs.ts';
import { displayName, readArgv } from './program.ts';

/** The fields of /proc/[pid]/stat the agent uses. */
export interface ProcStat {
  pid: number;
  name: string;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** Start time after boot, clock ticks. */
  start: number;
  /** Resident set, pages. */
  rssPages: number;
}

/**
 * Parses one /proc/[pid]/stat line. The name sits in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the last ")".
 */
export function parsePidStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`unexpected stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime 15, starttime 22, rss 24.
  return {
    pid: num(text.slice(0, open)),
    name: text.slice(open + 1, close),
    ticks: num(rest[11]) + num(rest[12]),
    start: num(rest[19]),
    rssPages: num(rest[21]),
  };
}

/** Parses /etc/passwd into uid → user name. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid)) users.set(Number(uid), name);
  }
  return users;
}

export interface TopOptions {
  /** Entries per top list. */
  top: number;
  /** Longest command line kept, characters. */
  commandMax: number;
}

/** Picks the top processes by CPU and by memory from per-process CPU % and RSS. */
export function topProcesses<T extends { cpu: number; rss: number; pid: number }>(
  procs: T[],
  top: number,
): { topCpu: T[]; topMem: T[] } {
  const byCpu = [...procs].sort((a, b) => b.cpu - a.cpu || b.rss - a.rss || a.pid - b.pid).slice(0, top);
  const byMem = [...procs].sort((a, b) => b.rss - a.rss || b.cpu - a.cpu || a.pid - b.pid).slice(0, top);
  return { topCpu: byCpu, topMem: byMem };
}

/** Bytes per page: the ratio of Node's own RSS in bytes to its RSS in pages from /proc/self/statm. */
function detectPageSize(): number {
  const pages = num(readProc(`${PROC}/self/statm`).split(' ')[1]);
  const bytes = process.memoryUsage.rss();
  const guess = pages > 0 ? bytes / pages : 4096;
  return [4096, 16384, 65536].reduce((best, size) =>
    Math.abs(size - guess) < Math.abs(best - guess) ? size : best,
  );
}

/**
 * Process count and the top lists. CPU % is measured between two runs (the first run uses each
 * process's whole lifetime, as ps does). Only the processes that make a top list get their user
 * and command line read, which keeps a run to one small read per process.
 */
export class ProcessCollector {
  readonly #options: TopOptions;
  readonly #pageSize = detectPageSize();
  #lastTicks = new Map<number, number>();
  #lastAt = 0;
  #users = new Map<number, string>();
  #usersAt = 0;
  /** Every process's stat file, kept open between scans. */
  readonly #stats = new HeldFiles();

  constructor(options: Partial<TopOptions> = {}) {
    this.#options = { top: options.top ?? 10, commandMax: options.commandMax ?? 512 };
  }

  collect(): Processes {
    const at = monotonicMs();
    const uptime = num(readProc(`${PROC}/uptime`).split(' ')[0]);
    const elapsed = this.#lastAt > 0 ? (at - this.#lastAt) / 1000 : 0;
    const ticks = new Map<number, number>();
    const procs: Array<{ pid: number; name: string; cpu: number; rss: number }> = [];
    for (const entry of readdirSync(PROC)) {
      const first = entry.charCodeAt(0);
      if (first < 48 || first > 57) continue;
      let stat: ProcStat;
      try {
        stat = parsePidStat(this.#stats.read(`${PROC}/${entry}/stat`));
      } catch {
        continue; // the process exited between readdir and read
      }
      ticks.set(stat.pid, stat.ticks);
      const before = this.#lastTicks.get(stat.pid);
      let cpu: number;
      if (before !== undefined && elapsed > 0) {
        cpu = (stat.ticks - before) / CLOCK_TICKS / elapsed;
      } else {
        const lifetime = uptime - stat.start / CLOCK_TICKS;
        cpu = lifetime > 0 ? stat.ticks / CLOCK_TICKS / lifetime : 0;
      }
      procs.push({
        pid: stat.pid,
        name: stat.name,
        cpu: round2(Math.max(0, cpu * 100)),
        rss: stat.rssPages * this.#pageSize,
      });
    }
    this.#stats.sweep(); // ended processes' files
    this.#lastTicks = ticks;
    this.#lastAt = at;
    const { topCpu, topMem } = topProcesses(procs, Math.min(this.#options.top, Limits.topProcesses));
    const details = new Map<number, Process>();
    const detail = (p: (typeof procs)[number]): Process => {
      let d = details.get(p.pid);
      if (!d) {
        const argv = readArgv(p.pid);
        d = {
          ...p,
          name: displayName(p.name, argv ?? []).slice(0, Limits.name),
          user: this.#user(p.pid),
          command: this.#command(argv, p.name),
        };
        details.set(p.pid, d);
      }
      return d;
    };
    return { count: procs.length, topCpu: topCpu.map(detail), topMem: topMem.map(detail) };
  }

  #user(pid: number): string {
    let uid: number;
    try {
      uid = statSync(`${PROC}/${pid}`).uid;
    } catch {
      return '';
    }
    if (wallClock() - this.#usersAt > 300_000) {
      try {
        this.#users = parsePasswd(readFileSync('/etc/passwd', 'utf8'));
      } catch {
        this.#users = new Map();
      }
      this.#usersAt = wallClock();
    }
    return (this.#users.get(uid) ?? String(uid)).slice(0, Limits.name);
  }

  #command(argv: string[] | undefined, name: string): string {
    // Kernel threads have an empty command line; ps shows them as [name].
    const command = argv === undefined || argv.length === 0 ? `[${name}]` : argv.join(' ');
    return command.slice(0, Math.min(this.#options.commandMax, Limits.text));
  }
}
