import { readdirSync, readlinkSync } from 'node:fs';
import type { Port } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { monotonicMs } from '../clock.ts';
import { fields, PROC, readProc, readProcUntil } from './procfs.ts';
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

/**
 * Parses /proc/net/{tcp,tcp6,udp,udp6}: listening TCP sockets and bound, unconnected UDP sockets.
 * Records have a fixed layout ("  sl: LOCAL:PORT REMOTE:PORT ST ..."), so the state is read in
 * place and only the few matching lines are split: a busy host has thousands of connections.
 */
export function parseNetSockets(text: string, proto: Proto): Listener[] {
  const out: Listener[] = [];
  const addrLen = proto.endsWith('6') ? 32 : 8;
  const tcp = proto.startsWith('tcp');
  const wanted = tcp ? TCP_LISTEN : UDP_UNCONNECTED;
  let start = text.indexOf('\n') + 1; // after the header
  while (start > 0 && start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const local = text.indexOf(':', start) + 2;
    const remote = local + addrLen + 6;
    const state = remote + addrLen + 6;
    if (
      local > 1 &&
      state + 2 < end &&
      text.charCodeAt(local + addrLen) === 58 && // ':'
      text.charCodeAt(remote + addrLen) === 58 &&
      text.startsWith(wanted, state) &&
      (tcp || text.startsWith('0000', remote + addrLen + 1))
    ) {
      const addrHex = text.slice(local, local + addrLen);
      out.push({
        proto,
        address: addrLen === 32 ? ipv6(addrHex) : ipv4(addrHex),
        port: Number.parseInt(text.slice(local + addrLen + 1, local + addrLen + 5), 16),
        // After the state: tx:rx queue, tr:when, retransmits, uid, timeout, inode.
        inode: Number(fields(text.slice(state + 3, end))[5] ?? 0),
      });
    }
    start = end + 1;
  }
  return out;
}

/**
 * /proc/net/tcp{,6} list the listening sockets first (the kernel walks its listening table, then
 * the established one), and generating the established part walks the whole connection hash
 * table: a few ms per file on a host with much memory, most of a port scan. So the TCP files are
 * read a small chunk at a time until the last complete record is not a listener.
 */
const TCP_CHUNK = 1024;

/** True when the last complete line of `text` (whole lines) is a record in a state other than LISTEN. */
export function pastListeners(text: string, addrLen: number): boolean {
  const end = text.lastIndexOf('\n');
  const start = text.lastIndexOf('\n', end - 1) + 1;
  if (end < 0 || text.startsWith('  sl', start)) return false; // no complete line, or the header
  const local = text.indexOf(':', start) + 2;
  const state = local + 2 * addrLen + 12;
  return local > 1 && state + 2 < end && !text.startsWith(TCP_LISTEN, state);
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

/** The socket inode an fd links to ("socket:[12345]"); 0 for anything else or an fd gone. */
function socketInode(pid: number, fd: string): number {
  let link: string;
  try {
    link = readlinkSync(`${PROC}/${pid}/fd/${fd}`);
  } catch {
    return 0;
  }
  return link.startsWith('socket:[') ? Number(link.slice(8, -1)) : 0;
}

/**
 * Which process holds which socket, from /proc/[pid]/fd links, kept between searches: for each
 * process the socket inode behind each fd as last read (0: not a socket). A search lists each
 * process's fds and reads only the links of fds it has not seen, so after the first search a
 * new listener costs one readdir per process searched instead of one readlink per fd. An fd
 * closed and reused for another socket in between hides that socket from such a search;
 * `reread` reads every link again. Processes of other users are unreadable without root.
 */
export class SocketOwners {
  readonly #fds = new Map<number, Map<string, number>>();

  /** Owners of `inodes` among `pids` (searched in that order), stopping when all are found. */
  search(inodes: ReadonlySet<number>, pids: Iterable<number>, reread = false): Map<number, Owner> {
    const owners = new Map<number, Owner>();
    if (inodes.size === 0) return owners;
    for (const pid of pids) {
      let names: string[];
      try {
        names = readdirSync(`${PROC}/${pid}/fd`);
      } catch {
        this.#fds.delete(pid);
        continue;
      }
      const before = reread ? undefined : this.#fds.get(pid);
      const now = new Map<string, number>();
      let found = false;
      for (const fd of names) {
        const inode = before?.get(fd) ?? socketInode(pid, fd);
        now.set(fd, inode);
        if (inode > 0 && inodes.has(inode) && !owners.has(inode)) {
          owners.set(inode, { pid, process: '' });
          found = true;
        }
      }
      this.#fds.set(pid, now);
      if (found) {
        const name = programName(pid).slice(0, Limits.name);
        for (const owner of owners.values()) if (owner.pid === pid) owner.process = name;
      }
      if (owners.size === inodes.size) break;
    }
    return owners;
  }

  /** Forgets the processes that are gone. */
  keep(live: ReadonlySet<number>): void {
    for (const pid of this.#fds.keys()) if (!live.has(pid)) this.#fds.delete(pid);
  }
}

/**
 * Plain code-unit order, the same on every host. Not localeCompare: its first call maps ICU's
 * collation data, ~3 MB of peak RSS for an agent that compares ASCII (docs/benchmarks.md).
 */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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
  out.sort((a, b) => a.port - b.port || byCodeUnits(a.proto, b.proto) || byCodeUnits(a.address, b.address));
  return out.slice(0, Limits.items * 8);
}

/**
 * How often at most every process's fd links are all read again, to find the owner of a socket
 * that is not in a new process or a known owner (a new listener of an old process, a socket
 * behind a reused fd number, an owner that could not be seen before): on a busy host that walk
 * is the dearest part of a port scan.
 */
export const REREAD_MS = 5 * 60_000;

/**
 * How often at most a listener that a walk over every process has already missed makes another
 * walk: a kernel socket (nfsd, lockd) or one held by a process in another pid namespace has no
 * owner to find, and walking every fd link for it each REREAD_MS was 2–9 % of the agent's CPU
 * on a host with one (docs/benchmarks.md). Its owner can still appear (an fd passed on), so it
 * is looked for again, rarely; a walk due for another listener leaves it out.
 */
export const UNOWNED_REREAD_MS = 60 * 60_000;

/**
 * Listening ports with their owners. The inode → owner map is kept between runs and only
 * extended. The first run reads every process's fd links once. After that a listener's owner is
 * looked for from the second run that sees it on (a short-lived listener, a test server or a
 * build step, costs nothing; a lasting one gets its owner one run, 15 s by default, after its
 * port), among the processes started since the last search and those that already own listeners,
 * reading only fd links not read before (SocketOwners): a new service is almost always a new
 * process, and a reload keeps its old master. A socket not found there is shown without owner
 * until the next walk over every process, at most every REREAD_MS; one such a walk missed too
 * (the first search is one) only every UNOWNED_REREAD_MS.
 */
export class PortCollector {
  #owners = new Map<number, Owner | null>();
  readonly #sockets: SocketOwners;
  readonly #now: () => number;
  /** The pids present at the last search. */
  #seen = new Set<number>();
  /** Listeners seen once, owner not looked for yet. */
  #new = new Set<number>();
  /** Listeners without owner that a walk over every process missed, with when to look again. */
  #unfindable = new Map<number, number>();
  #first = true;
  #rereadAt = 0;

  constructor(now: () => number = monotonicMs, sockets: SocketOwners = new SocketOwners()) {
    this.#now = now;
    this.#sockets = sockets;
  }

  collect(): Port[] {
    const listeners: Listener[] = [];
    for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
      const path = `${PROC}/net/${proto}`;
      const addrLen = proto.endsWith('6') ? 32 : 8;
      let text: string;
      try {
        text = proto.startsWith('tcp')
          ? readProcUntil(path, TCP_CHUNK, (t) => pastListeners(t, addrLen))
          : readProc(path, true);
      } catch {
        continue; // no IPv6 in this kernel or namespace
      }
      listeners.push(...parseNetSockets(text, proto));
    }
    const first = this.#first;
    const time = this.#now();
    // The first search reads every link anyway: the next full reread is due REREAD_MS later.
    if (first) this.#rereadAt = time + REREAD_MS;
    const rereadDue = time >= this.#rereadAt;
    const next = new Map<number, Owner | null>();
    const seenOnce = new Set<number>();
    const lasting = new Set<number>();
    /** Ownerless listeners a walk is due for. */
    const ownerless = new Set<number>();
    const unfindable = new Map<number, number>();
    for (const { inode } of listeners) {
      if (inode <= 0) continue;
      const known = this.#owners.get(inode);
      if (known !== undefined) next.set(inode, known);
      const retryAt = known === null ? this.#unfindable.get(inode) : undefined;
      if (retryAt !== undefined) {
        unfindable.set(inode, retryAt);
        if (time >= retryAt) ownerless.add(inode);
      } else if (known === null && rereadDue) ownerless.add(inode);
      else if (known === undefined && (first || this.#new.has(inode))) lasting.add(inode);
      else if (known === undefined) seenOnce.add(inode);
    }
    this.#new = seenOnce;
    this.#unfindable = unfindable;
    this.#first = false;
    if (lasting.size > 0 || ownerless.size > 0) {
      const now = pids();
      const live = new Set(now);
      this.#sockets.keep(live);
      const likely = new Set(now.filter((pid) => !this.#seen.has(pid)));
      for (const owner of next.values()) if (owner && live.has(owner.pid)) likely.add(owner.pid);
      this.#seen = live;
      const found = this.#sockets.search(lasting, likely);
      const missing = new Set([...lasting, ...ownerless].filter((inode) => !found.has(inode)));
      let reread = new Map<number, Owner>();
      const walk = rereadDue || [...missing].some((inode) => unfindable.has(inode));
      if (missing.size > 0 && walk) {
        reread = this.#sockets.search(missing, new Set([...likely, ...now]), true);
        this.#rereadAt = time + REREAD_MS;
      }
      for (const inode of [...lasting, ...ownerless]) {
        const owner = found.get(inode) ?? reread.get(inode) ?? null;
        next.set(inode, owner);
        // Missed by a walk over every link (the first search is one): looked for again only rarely.
        if (owner) this.#unfindable.delete(inode);
        else if (first || (missing.size > 0 && walk)) this.#unfindable.set(inode, time + UNOWNED_REREAD_MS);
      }
    }
    this.#owners = next;
    const owners = new Map<number, Owner>();
    for (const [inode, owner] of next) if (owner) owners.set(inode, owner);
    return toPorts(listeners, owners);
  }
}
