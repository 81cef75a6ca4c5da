import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/types.ts';

/**
 * JSON lines on stderr (stdout stays free for `once`); readable colour output when stderr is a
 * terminal. Both write synchronously in this thread: no transport worker, so no extra memory.
 */
export async function createLogger(level: LogLevel): Promise<Logger> {
  const options = { level, base: { pid: process.pid }, name: 'pantau-agent' };
  if (process.stderr.isTTY) {
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ destination: 2, sync: true, ignore: 'pid,hostname,name' }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
