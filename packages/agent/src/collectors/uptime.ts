import { fields, num, PROC, readProc } from './procfs.ts';

/** Parses /proc/uptime ("308.17 481.79") into seconds since boot. */
export function parseUptime(text: string): number {
  const first = fields(text)[0];
  const seconds = Number(first);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`unexpected /proc/uptime: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return num(first);
}

/** Seconds since boot; the collector notices a reboot when this goes back. */
export function collectUptime(): number {
  return parseUptime(readProc(`${PROC}/uptime`));
}
