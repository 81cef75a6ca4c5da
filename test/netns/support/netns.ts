// Network namespaces joined to this one by veth pairs: agents get their own addresses behind
// links a test can cut (every packet dropped, no FIN, no RST) or degrade. Root and iproute2 only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

/** Private /29s of our own, picked by pid so concurrent runs do not collide; used only on our veths. */
const OCTET = 128 + (process.pid % 64);
const BLOCK = (Math.floor(process.pid / 64) % 32) * 8;
const PREFIX = `pt${process.pid % 100_000}`;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const tc = (ns: string | null, ...args: string[]) =>
  execFileSync(ns ? 'ip' : 'tc', ns ? ['netns', 'exec', ns, 'tc', ...args] : args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });

/** Why namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  const probe = `${PREFIX}probe`;
  try {
    ip('netns', 'add', probe);
  } catch (err) {
    return `ip netns add failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {}
  }
  try {
    ip('link', 'add', `${PREFIX}pa`, 'type', 'veth', 'peer', 'name', `${PREFIX}pb`);
    tc(null, 'qdisc', 'add', 'dev', `${PREFIX}pa`, 'root', 'pfifo', 'limit', '0');
  } catch (err) {
    return `veth pairs or tc qdiscs are not available: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  } finally {
    try {
      ip('link', 'del', `${PREFIX}pa`);
    } catch {}
  }
  return null;
}

/** Whether the kernel has netem (loss and delay emulation); many containers lack it. */
export function netemAvailable(): boolean {
  const dev = `${PREFIX}ne`;
  try {
    ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', `${PREFIX}nf`);
    tc(null, 'qdisc', 'add', 'dev', dev, 'root', 'netem', 'delay', '1ms');
    return true;
  } catch {
    return false;
  } finally {
    try {
      ip('link', 'del', dev);
    } catch {}
  }
}

const live = new Set<Link>();
// A test that throws or a run that is interrupted must not leave namespaces behind.
process.once('exit', () => {
  for (const link of live) link.destroy();
});

/** One namespace with a veth pair to this one: host end `hostAddr`, namespace end `nsAddr` (/30). */
export class Link {
  readonly ns: string;
  readonly hostIf: string;
  readonly nsIf: string;
  readonly hostAddr: string;
  readonly nsAddr: string;
  #cut = false;

  private constructor(index: number) {
    this.ns = `${PREFIX}n${index}`;
    this.hostIf = `${PREFIX}h${index}`;
    this.nsIf = `${PREFIX}a${index}`;
    this.hostAddr = `10.${OCTET}.${BLOCK + index}.1`;
    this.nsAddr = `10.${OCTET}.${BLOCK + index}.2`;
  }

  /** Creates namespace `index` (0–7); `reach` lists host addresses the namespace routes to through it. */
  static create(index: number, reach: string[] = []): Link {
    if (!Number.isInteger(index) || index < 0 || index > 7) throw new Error(`link index ${index} is not 0-7`);
    const link = new Link(index);
    live.add(link);
    try {
      ip('netns', 'add', link.ns);
      ip('link', 'add', link.hostIf, 'type', 'veth', 'peer', 'name', link.nsIf);
      ip('link', 'set', link.nsIf, 'netns', link.ns);
      ip('addr', 'add', `${link.hostAddr}/30`, 'dev', link.hostIf);
      ip('link', 'set', link.hostIf, 'up');
      link.exec('ip', 'addr', 'add', `${link.nsAddr}/30`, 'dev', link.nsIf);
      link.exec('ip', 'link', 'set', link.nsIf, 'up');
      link.exec('ip', 'link', 'set', 'lo', 'up');
      for (const address of reach) link.exec('ip', 'route', 'add', `${address}/32`, 'via', link.hostAddr);
    } catch (err) {
      link.destroy();
      throw err;
    }
    return link;
  }

  exec(command: string, ...args: string[]): void {
    execFileSync('ip', ['netns', 'exec', this.ns, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** Starts a process inside the namespace. */
  spawn(command: string, args: string[], options: Parameters<typeof spawn>[2] = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns, command, ...args], options);
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /** A power cut on the wire: both ends drop every packet they would send. No FIN, no RST. */
  cut(): void {
    tc(null, 'qdisc', 'replace', 'dev', this.hostIf, 'root', 'pfifo', 'limit', '0');
    tc(this.ns, 'qdisc', 'replace', 'dev', this.nsIf, 'root', 'pfifo', 'limit', '0');
    this.#cut = true;
  }

  restore(): void {
    for (const [ns, dev] of [
      [null, this.hostIf],
      [this.ns, this.nsIf],
    ] as const) {
      try {
        tc(ns, 'qdisc', 'del', 'dev', dev, 'root');
      } catch {}
    }
    this.#cut = false;
  }

  /** Real loss and delay on both ends (needs netem). */
  degrade(lossPct: number, delayMs: number): void {
    tc(
      null,
      'qdisc',
      'replace',
      'dev',
      this.hostIf,
      'root',
      'netem',
      'loss',
      `${lossPct}%`,
      'delay',
      `${delayMs}ms`,
    );
    tc(
      this.ns,
      'qdisc',
      'replace',
      'dev',
      this.nsIf,
      'root',
      'netem',
      'loss',
      `${lossPct}%`,
      'delay',
      `${delayMs}ms`,
    );
  }

  destroy(): void {
    live.delete(this);
    try {
      ip('link', 'del', this.hostIf);
    } catch {}
    try {
      ip('netns', 'del', this.ns);
    } catch {}
  }
}
