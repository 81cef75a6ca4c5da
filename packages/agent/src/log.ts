import { fstatSync, writeSync } from 'node:fs';
import { wallClock } from './clock.ts';
import type { LogLevel } from './config/types.ts';

/** What the agent logs through: pino's call shape, `(fields, message)` or `(message)`. */
export interface Log {
  debug(fields: object | string, msg?: string): void;
  info(fields: object | string, msg?: string): void;
  warn(fields: object | string, msg?: string): void;
  error(fields: object | string, msg?: string): void;
}

/** pino's level numbers, so log shippers that read pino's output read the agent's too. */
const LEVELS: Record<Exclude<LogLevel, 'silent'>, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** A logger that drops everything (`once`, tests). */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * JSON lines on stderr in pino's format, written synchronously by this small writer rather than
 * pino: pino (and pino-pretty) load ~3.5 MB of modules and add 240 KB to the bundle (docs/benchmarks.md).
 */
export function jsonLog(level: LogLevel, write: (line: string) => void = toStderr): Log {
  const threshold = level === 'silent' ? Number.POSITIVE_INFINITY : LEVELS[level];
  const base = { pid: process.pid, name: 'pantau-agent' };
  const at =
    (n: number) =>
    (fields: object | string, msg?: string): void => {
      if (n < threshold) return;
      const extra =
        typeof fields === 'string' ? { msg: fields } : { ...fields, ...(msg === undefined ? {} : { msg }) };
      write(`${line({ level: n, time: wallClock(), ...base, ...extra })}\n`);
    };
  return { debug: at(LEVELS.debug), info: at(LEVELS.info), warn: at(LEVELS.warn), error: at(LEVELS.error) };
}

/** Synchronous, so a line is out before a crash; a full non-blocking pipe queues it instead. */
function toStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    process.stderr.write(text);
  }
}

/** One JSON line; a field JSON cannot encode (a BigInt, a cycle) is logged as its string form. */
function line(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify(Object.fromEntries(Object.entries(record).map(([k, v]) => [k, safe(v)])));
  }
}

function safe(value: unknown): unknown {
  try {
    JSON.stringify(value);
    return value;
  } catch {
    return String(value);
  }
}

/** node:tty (~0.7 MB) is loaded only when stderr is a character device, which a terminal is. */
async function stderrIsTerminal(): Promise<boolean> {
  if (!fstatSync(2).isCharacterDevice()) return false;
  const { isatty } = await import('node:tty');
  return isatty(2);
}

const NAMES: Record<number, string> = { 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR' };
/** ANSI colours per level: grey, green, yellow, red. */
const COLOURS: Record<number, string> = { 20: '90', 30: '32', 40: '33', 50: '31' };

/** A JSON line as a person reads it: `12:04:05Z WARN  message key=value ...`, level in colour. */
export function prettyLine(json: string): string {
  const { level, time, pid: _pid, name: _name, msg, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const clock = `${new Date(Number(time)).toISOString().slice(11, 19)}Z`;
  const label = (NAMES[Number(level)] ?? String(level)).padEnd(5);
  const rest = Object.entries(fields).map(
    ([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return `${clock} \x1b[${COLOURS[Number(level)] ?? '0'}m${label}\x1b[0m ${String(msg ?? '')}${rest.join('')}\n`;
}

/** JSON lines on stderr (stdout stays free for `once`); the same records readable on a terminal. */
export async function createLogger(level: LogLevel): Promise<Log> {
  if (!(await stderrIsTerminal())) return jsonLog(level);
  return jsonLog(level, (line) => toStderr(prettyLine(line)));
}
