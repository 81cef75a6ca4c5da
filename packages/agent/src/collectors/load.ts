import type { Load } from '@pantau/shared/lite';
import { fields, num, PROC, readProc } from './procfs.ts';

/** Parses /proc/loadavg: "0.31 0.27 0.12 1/92 9332". */
export function parseLoadavg(text: string): Load {
  const [l1, l5, l15] = fields(text);
  if (l15 === undefined) throw new Error(`unexpected /proc/loadavg: ${JSON.stringify(text.slice(0, 80))}`);
  return { l1: num(l1), l5: num(l5), l15: num(l15) };
}

export function collectLoad(): Load {
  return parseLoadavg(readProc(`${PROC}/loadavg`));
}
