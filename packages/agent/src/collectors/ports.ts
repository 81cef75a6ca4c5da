import { readdirSync, readlinkSync } from 'node:fs';
import type { Port } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { fields, PROC, readProc } from './procfs.ts';
import { programName } from './program.ts';

type Proto = Port['proto'];

export interface Listener {
  proto: Proto;
  address: string;
  port: number;
  inode: number;
}

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/** "0100007F" (a 32-bit word in host order, little-endian) → "127.0.0.1". */
function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

/** 32 hex digits in four little-endian words → a compressed IPv6 address ("::", "::1", "fe80::1"). */
function ipv6(hex: string): string {
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [word.slice(6, 8), word.slice(4, 6), word.slice(2, 4), word.slice(0, 2)].join('');
    groups.push(
      Number.parseInt(bytes.slice(0, 4), 16).toString(16),
      Number.parseInt(bytes.slice(4), 16).toString(16),
    );
  }
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    return `::ffff:${ipv4(hex.slice(24))}`;
  }
  // Replace the longest run of zero groups (two or more) with "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** Parses /proc/net/{tcp,tcp6,udp,udp6}: listening TCP sockets and bound, unconnected UDP sockets. */
export function parseNetSockets(text: string, proto: Proto): Listener[] {
  const out: Listener[] = [];
  const v6 = proto.endsWith('6');
  const wanted = proto.startsWith('tcp') ? TCP_LISTEN : UDP_UNCONNECTED;
  for (const line of text.split('\n').slice(1)) {
    const f = fields(line);
    const local = f[1];
    const remote = f[2];
    if (!local || !remote || f[3] !== wanted) continue;
    if (!proto.startsWith('tcp') && !remote.endsWith(':0000')) continue;
    const [addrHex, portHex] = local.split(':');
    if (!addrHex || !portHex) continue;
    out.push({
      proto,
      address: v6 ? ipv6(addrHex) : ipv4(addrHex),
      port: Number.parseInt(portHex, 16),
      inode: Number(f[9] ?? 0),
    });
  }
  return out;
}

type Owner = { pid: number; process: string };

/** The pids in /proc, in directory order. */
function pids(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync(PROC)) {
    const first = entry.charCodeAt(0);
    if (first >= 48 && first <= 57) out.push(Number(entry));
  }
  return out;
}

/**
 * Finds the processes owning the given socket inodes by reading the /proc/[pid]/fd links of
 * `candidates`, in the order given. Stops as soon as every inode is found; processes of other
 * users are unreadable without root and stay unknown.
 */
export function ownersOf(inodes: Set<number>, candidates: Iterable<number> = pids()): Map<number, Owner> {
  const owners = new Map<number, Owner>();
  if (inodes.size === 0) return owners;
  for (const pid of candidates) {
    let fds: string[];
    try {
      fds = readdirSync(`${PROC}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${PROC}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!link.startsWith('socket:[')) continue;
      const inode = Number(link.slice(8, -1));
      if (!inodes.has(inode) || owners.has(inode)) continue;
      owners.set(inode, { pid, process: programName(pid).slice(0, Limits.name) });
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}
/** Merges listeners into ports: one entry per protocol, address and port (SO_REUSEPORT opens several). */
export function toPorts(
  listeners: Listener[],
  owners: Map<number, { pid: number; process: string }>,
): Port[] {
  const seen = new Set<string>();
  const out: Port[] = [];
  for (const l of listeners) {
    const key = `${l.proto} ${l.address} ${l.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const owner = owners.get(l.inode);
    out.push({
      proto: l.proto,
      address: l.address,
      port: l.port,
      ...(owner ? { pid: owner.pid, process: owner.process } : {}),
    });
  }
  out.sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto) || a.address.localeCompare(b.address));
  return out.slice(0, Limits.items * 8);
}

/**
 * Listening ports with their owners. Finding an owner means reading processes' fd links, so the
 * inode → owner map is kept between runs and only extended: a run searches only when a listener
 * appears that was not there before, and then walks the processes started since the last search
 * first (a new listener is most often a new process), then those that already own listeners,
 * then the rest, stopping when every new socket is found. A socket whose owner cannot be seen
 * (another user's, without root) is not searched for again while it stays.
 */
export class PortCollector {
  #owners = new Map<number, Owner | null>();
  /** The pids present at the last search. */
  #seen = new Set<number>();

  collect(): Port[] {
    const listeners: Listener[] = [];
    for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
      let text: string;
      try {
        text = readProc(`${PROC}/net/${proto}`, true);
      } catch {
        continue; // no IPv6 in this kernel or namespace
      }
      listeners.push(...parseNetSockets(text, proto));
    }
    const next = new Map<number, Owner | null>();
    const unknown = new Set<number>();
    for (const { inode } of listeners) {
      if (inode <= 0 || next.has(inode)) continue;
      const known = this.#owners.get(inode);
      if (known === undefined) unknown.add(inode);
      else next.set(inode, known);
    }
    if (unknown.size > 0) {
      const found = ownersOf(unknown, this.#searchOrder(next));
      for (const inode of unknown) next.set(inode, found.get(inode) ?? null);
    }
    this.#owners = next;
    const owners = new Map<number, Owner>();
    for (const [inode, owner] of next) if (owner) owners.set(inode, owner);
    return toPorts(listeners, owners);
  }

  /** Every pid once: new since the last search, then owners of known listeners, then the rest. */
  #searchOrder(known: Map<number, Owner | null>): Set<number> {
    const now = pids();
    const order = new Set<number>();
    for (const pid of now) if (!this.#seen.has(pid)) order.add(pid);
    for (const owner of known.values()) if (owner) order.add(owner.pid);
    for (const pid of now) order.add(pid);
    this.#seen = new Set(now);
    return order;
  }
}
/** One-off collection (no owner cache). */
export function collectPorts(): Port[] {
  return new PortCollector().collect();
}
