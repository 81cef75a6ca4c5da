import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { every, type Timers, unrefTimers, type WallClock, wallClock } from './clock.ts';

/** What `run` writes to its status file and `pantau-agent status` reads. */
export interface AgentStatus {
  /** Welcomed by a collector and able to send. */
  connected: boolean;
  /** The collector URL of the current or last session. */
  url?: string;
  /** When `connected` last changed, ms since the epoch. */
  since: number;
  /** When the file was last written, ms since the epoch: a stale file means a hung or dead agent. */
  at: number;
}

/** How often `run` rewrites the file while nothing changes, ms. */
export const STATUS_REFRESH_MS = 15_000;
/** Older than this, the file no longer speaks for a live agent, ms. */
export const STATUS_STALE_MS = 4 * STATUS_REFRESH_MS;

/**
 * Keeps a small JSON file current with the connection state: written on every change and
 * every STATUS_REFRESH_MS, replaced atomically so a reader never sees half a file.
 */
export class StatusFile {
  readonly #path: string;
  readonly #now: () => number;
  #status: AgentStatus;
  readonly #timers: Timers;
  #stopRefresh: (() => void) | undefined;

  /** `now`: the wall clock the file's times are read from; `timers`: of the refresh. */
  constructor(path: string, now: WallClock = wallClock, timers: Timers = unrefTimers) {
    this.#path = path;
    this.#now = now;
    this.#timers = timers;
    this.#status = { connected: false, since: now(), at: now() };
  }

  start(): void {
    this.#write();
    this.#stopRefresh = every(this.#timers, STATUS_REFRESH_MS, () => this.#write());
  }

  set(connected: boolean, url: string): void {
    if (connected === this.#status.connected && url === this.#status.url) return;
    const since = connected === this.#status.connected ? this.#status.since : this.#now();
    this.#status = { connected, url, since, at: this.#now() };
    this.#write();
  }

  stop(): void {
    this.#stopRefresh?.();
    this.set(false, this.#status.url ?? '');
  }

  #write(): void {
    this.#status.at = this.#now();
    try {
      writeFileSync(`${this.#path}.tmp`, `${JSON.stringify(this.#status)}\n`);
      renameSync(`${this.#path}.tmp`, this.#path);
    } catch {
      // A status file that cannot be written makes `status` fail, which is the truth to report.
    }
  }
}

/** The verdict of `pantau-agent status`: a line to print and whether the agent is healthy. */
export function readStatus(path: string, now: number = wallClock()): { ok: boolean; line: string } {
  let status: AgentStatus;
  try {
    status = JSON.parse(readFileSync(path, 'utf8')) as AgentStatus;
  } catch (err) {
    return {
      ok: false,
      line: `no status at ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}); is the agent running?`,
    };
  }
  const age = Math.round((now - status.at) / 1000);
  if (now - status.at > STATUS_STALE_MS)
    return { ok: false, line: `status is ${age} s old; the agent is not running or is stuck` };
  const since = Math.round((now - status.since) / 1000);
  return status.connected
    ? { ok: true, line: `connected to ${status.url} for ${since} s` }
    : { ok: false, line: `not connected${status.url ? ` (last: ${status.url})` : ''} for ${since} s` };
}
