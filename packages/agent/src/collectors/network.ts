import type { NetInterface } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { monotonicMs } from '../clock.ts';
import { fields, num, PROC, rate, readProc } from './procfs.ts';

export interface NetCounters {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
}

/** Parses /proc/net/dev (two header lines, then "iface: 16 counters"). Loopback is left out. */
export function parseNetDev(text: string): NetCounters[] {
  const out: NetCounters[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (iface === 'lo' || iface === '') continue;
    const f = fields(line.slice(colon + 1));
    out.push({
      iface,
      rxBytes: num(f[0]),
      rxPackets: num(f[1]),
      rxErrors: num(f[2]),
      txBytes: num(f[8]),
      txPackets: num(f[9]),
      txErrors: num(f[10]),
    });
  }
  return out.slice(0, Limits.items);
}

/** Per-interface rates between two readings `seconds` apart; a new interface starts at 0 B/s. */
export function netBetween(before: NetCounters[], now: NetCounters[], seconds: number): NetInterface[] {
  const previous = new Map(before.map((c) => [c.iface, c]));
  return now.map((c) => {
    const p = previous.get(c.iface);
    return {
      iface: c.iface,
      rxBps: p ? rate(c.rxBytes, p.rxBytes, seconds) : 0,
      txBps: p ? rate(c.txBytes, p.txBytes, seconds) : 0,
      rxPackets: c.rxPackets,
      txPackets: c.txPackets,
      rxErrors: c.rxErrors,
      txErrors: c.txErrors,
    };
  });
}

export function readNetDev(): NetCounters[] {
  return parseNetDev(readProc(`${PROC}/net/dev`));
}

export class NetworkCollector {
  #last: NetCounters[];
  #at: number;

  constructor(initial: NetCounters[] = readNetDev(), at = monotonicMs()) {
    this.#last = initial;
    this.#at = at;
  }

  collect(now: NetCounters[] = readNetDev(), at = monotonicMs()): NetInterface[] {
    const out = netBetween(this.#last, now, (at - this.#at) / 1000);
    this.#last = now;
    this.#at = at;
    return out;
  }
}
