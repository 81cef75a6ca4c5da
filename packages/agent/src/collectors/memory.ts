import type { Memory, Swap } from '@pantau/shared/lite';
import { PROC, readProc } from './procfs.ts';

/**
 * The kB value of a "Key:   123 kB" line of /proc/meminfo, undefined when there is none. Looks the
 * key up in place (anchored at a line start, so Cached is not SwapCached) instead of splitting
 * the ~50 lines the agent does not use.
 */
function kbOf(text: string, key: string): number | undefined {
  const at = text.startsWith(`${key}:`) ? 0 : text.indexOf(`\n${key}:`) + 1;
  if (at === 0 && !text.startsWith(`${key}:`)) return undefined;
  const value = Number.parseInt(text.slice(at + key.length + 1, at + key.length + 32), 10);
  return Number.isFinite(value) ? value : 0;
}

/** Parses /proc/meminfo into bytes. Used = total − available, as `free` and the protocol define it. */
export function parseMeminfo(text: string): { memory: Memory; swap: Swap } {
  const get = (key: string) => (kbOf(text, key) ?? 0) * 1024;
  const total = get('MemTotal');
  if (total <= 0) throw new Error('no MemTotal in /proc/meminfo');
  // MemAvailable exists since Linux 3.14; older kernels get the classic free + buffers + cache.
  const available =
    kbOf(text, 'MemAvailable') !== undefined
      ? get('MemAvailable')
      : get('MemFree') + get('Buffers') + get('Cached') + get('SReclaimable');
  const swapTotal = get('SwapTotal');
  return {
    memory: {
      total,
      used: Math.max(0, total - available),
      available: Math.min(available, total),
      buffers: get('Buffers'),
      cached: get('Cached') + get('SReclaimable'),
    },
    swap: { total: swapTotal, used: Math.max(0, swapTotal - get('SwapFree')) },
  };
}

export function collectMemory(): { memory: Memory; swap: Swap } {
  return parseMeminfo(readProc(`${PROC}/meminfo`));
}
