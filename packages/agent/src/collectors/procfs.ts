import { closeSync, openSync, readSync } from 'node:fs';

/** Root of the proc filesystem; the host's when a container mounts it elsewhere (procRoot). */
export let PROC = '/proc';
/** Root of sysfs (sysRoot). */
export let SYS = '/sys';

/** Points every collector at another proc and sys root, e.g. /host/proc in a container. Once, at start. */
export function setRoots(roots: { proc: string; sys: string }): void {
  PROC = roots.proc;
  SYS = roots.sys;
}

let buffer = Buffer.allocUnsafe(64 * 1024);

/**
 * A seq_file (/proc/net/tcp and kin) hands out at most one kernel buffer per read(): at least a
 * page (4 KiB), filled with whole records until the next one does not fit. So a read that
 * leaves room for another record (the longest seen in it plus a margin) was the last one, and
 * the read that would return 0 can be skipped. That matters for /proc/net/tcp{,6}: a read
 * there can walk the whole established-socket hash table (~2.5 ms of kernel time on a small
 * VM), the final empty one included.
 */
const SEQ_FILE_PAGE = 4096;
const SEQ_FILE_MARGIN = 64;

/** True when a chunk of `n` bytes ending at `end` in the buffer leaves room for one more record. */
function lastSeqChunk(end: number, n: number): boolean {
  let longest = 0;
  let start = end - n;
  while (start < end) {
    const nl = buffer.indexOf(10, start);
    if (nl === -1 || nl >= end) return false; // a partial record: not a seq_file chunk after all
    longest = Math.max(longest, nl + 1 - start);
    start = nl + 1;
  }
  return n + longest + SEQ_FILE_MARGIN <= SEQ_FILE_PAGE;
}

/**
 * Reads a /proc file with open + read + close and one reused buffer: procfs files report size 0,
 * so readFileSync would stat and grow buffers on every call, several times a second.
 * `seqFile`: the file is a seq_file of short records; stop after a short read (see above).
 */
export function readProc(path: string, seqFile = false): string {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      // A short read means the end only if the kernel could have filled a whole page.
      if (seqFile && buffer.length - length < 8192) grow(length);
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (seqFile && lastSeqChunk(length, n)) break;
      if (length === buffer.length) grow(length);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a seq_file `chunk` bytes per read() until `enough(the chunk just read)` is true or the
 * file ends. The kernel fills a read only up to the size asked for, with whole records, so a file
 * whose interesting records come first (listening sockets in /proc/net/tcp) is read without
 * generating the rest.
 */
export function readProcUntil(path: string, chunk: number, enough: (text: string) => boolean): string {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (buffer.length - length < chunk) grow(length);
      const n = readSync(fd, buffer, length, chunk, null);
      if (n === 0) break;
      length += n;
      if (enough(buffer.toString('utf8', length - n, length))) break;
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

function grow(length: number): void {
  const bigger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(bigger, 0, 0, length);
  buffer = bigger;
}

/**
 * Files read again and again (each process's /proc/PID/stat on every process scan), kept open
 * and read from offset 0 each time: procfs generates the content afresh on every read at 0, and
 * an open + close is half the cost of a small /proc read. A file whose process has ended fails
 * to read (ESRCH) even if its pid was reused, so it is closed and the path opened again.
 * `sweep` closes the files not read since the last sweep; at most `max` stay open (the rest are
 * read with open + close): by default 4096 or a quarter of this process's open-file limit, so
 * sockets, job pipes and logs always have room.
 */
export class HeldFiles {
  readonly #fds = new Map<string, number>();
  readonly #read = new Set<string>();
  readonly #max: number;

  constructor(max = Math.min(4096, Math.floor(openFileLimit() / 4))) {
    this.#max = max;
  }

  get size(): number {
    return this.#fds.size;
  }

  read(path: string): string {
    this.#read.add(path);
    const held = this.#fds.get(path);
    if (held !== undefined) {
      try {
        return readAt0(held);
      } catch {
        this.#close(path);
      }
    }
    if (this.#fds.size >= this.#max) return readProc(path);
    const fd = openSync(path, 'r');
    this.#fds.set(path, fd);
    try {
      return readAt0(fd);
    } catch (err) {
      this.#close(path);
      throw err;
    }
  }

  /** Closes the files not read since the last sweep. */
  sweep(): void {
    for (const path of this.#fds.keys()) if (!this.#read.has(path)) this.#close(path);
    this.#read.clear();
  }

  #close(path: string): void {
    const fd = this.#fds.get(path);
    this.#fds.delete(path);
    if (fd !== undefined) closeSync(fd);
  }
}

/** The soft "Max open files" of /proc/self/limits ("unlimited" as Infinity); 1024 when unreadable. */
export function parseOpenFileLimit(limits: string): number {
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  if (!m?.[1]) return 1024;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]) || 1024;
}

function openFileLimit(): number {
  try {
    return parseOpenFileLimit(readProc('/proc/self/limits'));
  } catch {
    return 1024;
  }
}

/** One whole small /proc file from an open fd, read from offset 0. */
function readAt0(fd: number): string {
  let length = 0;
  for (;;) {
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) break;
    length += n;
    if (length === buffer.length) grow(length);
  }
  return buffer.toString('utf8', 0, length);
}

/** Clock ticks per second of /proc times (USER_HZ); 100 on every mainline Linux architecture. */
export const CLOCK_TICKS = 100;

/** Splits on runs of blanks, ignoring leading and trailing ones. */
export function fields(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** Number of a field, 0 when missing or not a number (kernels add and drop columns over time). */
export function num(value: string | undefined): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** Rounds to 2 decimals so snapshots stay short. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A rate per second from two counter readings; 0 when the counter went backwards (reset or wrap). */
export function rate(now: number, before: number, seconds: number): number {
  if (seconds <= 0 || now < before) return 0;
  return round2((now - before) / seconds);
}
