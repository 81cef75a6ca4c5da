import { closeSync, openSync, readSync } from 'node:fs';

/** Root of the proc filesystem. */
export const PROC = '/proc';

let buffer = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a /proc file with open + read + close and one reused buffer: procfs files report size 0,
 * so readFileSync would stat and grow buffers on every call, several times a second.
 */
export function readProc(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger);
        buffer = bigger;
      }
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
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
