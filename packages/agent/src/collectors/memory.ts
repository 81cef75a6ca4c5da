import type { Memory, Swap } from '@pantau/shared/lite';
import { fields, num, PROC, readProc } from './procfs.ts';

/** Parses /proc/meminfo into bytes. Used = total − available, as `free` and the protocol define it. */
export function parseMeminfo(text: string): { memory: Memory; swap: Swap } {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) kb.set(line.slice(0, colon), num(fields(line.slice(colon + 1))[0]));
  }
  const get = (key: string) => (kb.get(key) ?? 0) * 1024;
  const total = get('MemTotal');
  if (total <= 0) throw new Error('no MemTotal in /proc/meminfo');
  // MemAvailable exists since Linux 3.14; older kernels get the classic free + buffers + cache.
  const available = kb.has('MemAvailable')
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
