import type { ServerResponse } from 'node:http';
import { every, type Timers, unrefTimers } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { IncidentManager } from '../monitor/incidents.ts';
import type { Store } from '../store/index.ts';
import { type LiveHost, liveFromLatest, liveFromSnapshot } from './live-host.ts';

export interface StreamHubOptions {
  store: Store;
  events: EventBus;
  incidents: IncidentManager;
  /** How often pending host changes go out, ms (default 250): at most one entry per host per batch. */
  flushMs?: number;
  /** How often incident counts are compared, ms (default 1000). */
  incidentPollMs?: number;
  /** A comment line keeps proxies from closing quiet streams, ms (default 15000). */
  keepAliveMs?: number;
  /** Default the global timers, not keeping the process alive. */
  timers?: Timers;
}

/**
 * The console's live feed: one in-memory view per host, updated from the event bus, and a set of
 * SSE clients. Changes are coalesced per host and sent in batches, so a fleet of 1,000 hosts at
 * 1 Hz costs each browser four small messages a second instead of a thousand.
 */
export class StreamHub {
  readonly #hosts = new Map<number, LiveHost>();
  readonly #pending = new Map<number, LiveHost>();
  readonly #removed = new Set<number>();
  /** Jobs created or changed since the last batch (ids only: the page reads them with its own rights). */
  readonly #jobs = new Set<number>();
  /** Each open stream and the user it belongs to (null for service tokens). */
  readonly #clients = new Map<ServerResponse, number | null>();
  readonly #incidents: IncidentManager;
  #counts = '{}';
  readonly #stops: (() => void)[] = [];
  readonly #off: (() => void)[] = [];
  readonly #store: Store;
  readonly #events: EventBus;

  constructor(options: StreamHubOptions) {
    const { store, events } = options;
    this.#store = store;
    this.#events = events;
    this.#incidents = options.incidents;
    this.#counts = JSON.stringify(this.#incidentCounts());
    const timers = options.timers ?? unrefTimers;
    this.#stops.push(
      every(timers, options.flushMs ?? 250, () => this.#flush()),
      every(timers, options.incidentPollMs ?? 1000, () => this.#pollIncidents()),
      every(timers, options.keepAliveMs ?? 15_000, () => this.#broadcast(': keep-alive\n\n')),
    );
  }

  /**
   * Follows the event bus while a stream is open. Nobody watching means no per-snapshot work at
   * all (at 10,000 agents that was a live view and a JSON frame for every snapshot); the first
   * stream to open reloads every host from the store, so nothing missed in between is lost.
   */
  #watch(): void {
    const store = this.#store;
    const touch = (id: number, change: (h: LiveHost) => LiveHost) => {
      // Hosts added by the CLI or another process reach the store without a host.added here.
      const row = this.#hosts.has(id) ? undefined : store.hosts.get(id);
      const before = this.#hosts.get(id) ?? (row && liveFromLatest(row, store.writer.latest(id)));
      if (!before) return;
      const after = change(before);
      this.#hosts.set(id, after);
      this.#pending.set(id, after);
    };
    const events = this.#events;
    this.#off.push(
      events.on('snapshot.stored', (e) => touch(e.hostId, (h) => liveFromSnapshot(h, e.snapshot))),
      events.on('host.online', (e) => touch(e.hostId, (h) => ({ ...h, status: 'online' }))),
      events.on('host.offline', (e) => touch(e.hostId, (h) => ({ ...h, status: 'offline' }))),
      events.on('host.labels', (e) => touch(e.hostId, (h) => ({ ...h, labels: e.labels }))),
      events.on('host.added', (e) => {
        const host = store.hosts.get(e.hostId);
        if (!host) return;
        const live = liveFromLatest(host, undefined);
        this.#hosts.set(host.id, live);
        this.#pending.set(host.id, live);
      }),
      // Whatever ends a user's sessions also ends their open streams; the page then signs in again.
      events.on('user.changed', (e) => {
        if (!['role', 'disabled', 'rejected', 'password'].includes(e.change)) return;
        for (const [res, userId] of this.#clients) if (userId === e.userId) res.end();
      }),
      events.on('job.changed', (e) => this.#jobs.add(e.job.id)),
      events.on('host.removed', (e) => {
        this.#hosts.delete(e.hostId);
        this.#pending.delete(e.hostId);
        this.#removed.add(e.hostId);
      }),
    );
  }

  /** The last stream closed: stop following, and drop what only a stream would have needed. */
  #unwatch(): void {
    for (const off of this.#off.splice(0)) off();
    this.#hosts.clear();
    this.#pending.clear();
    this.#removed.clear();
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Starts an SSE response: headers, the hello with every host, then live batches until it closes. */
  attach(res: ServerResponse, userId: number | null): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // Tell EventSource-style clients how soon to retry after the collector goes away.
    res.write('retry: 2000\n\n');
    if (this.#clients.size === 0) {
      this.#reload();
      this.#watch();
    }
    res.write(frame('hello', { hosts: [...this.#hosts.values()], incidents: JSON.parse(this.#counts) }));
    this.#clients.set(res, userId);
    res.on('close', () => {
      if (this.#clients.delete(res) && this.#clients.size === 0) this.#unwatch();
    });
  }

  /** Stops the timers and ends every stream (the app is closing). */
  close(): void {
    for (const off of this.#off.splice(0)) off();
    for (const stop of this.#stops.splice(0)) stop();
    for (const res of this.#clients.keys()) res.end();
    this.#clients.clear();
  }

  /** Reads every host from the store again (nothing is followed while nobody listens). */
  #reload(): void {
    this.#hosts.clear();
    for (const h of this.#allHosts())
      this.#hosts.set(h.id, liveFromLatest(h, this.#store.writer.latest(h.id)));
  }

  #flush(): void {
    if (this.#jobs.size > 0) {
      this.#broadcast(frame('jobs', { ids: [...this.#jobs] }));
      this.#jobs.clear();
    }
    if (this.#removed.size > 0) {
      this.#broadcast(frame('removed', { ids: [...this.#removed] }));
      this.#removed.clear();
    }
    if (this.#pending.size === 0) return;
    const hosts = [...this.#pending.values()];
    this.#pending.clear();
    this.#broadcast(frame('hosts', { hosts }));
  }

  #pollIncidents(): void {
    if (this.#clients.size === 0) return;
    const counts = JSON.stringify(this.#incidentCounts());
    if (counts === this.#counts) return;
    this.#counts = counts;
    this.#broadcast(`event: incidents\ndata: {"counts":${counts}}\n\n`);
  }

  #incidentCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (let before: number | undefined; ; ) {
      const page = this.#incidents.list({ status: 'active', limit: 500, before });
      for (const i of page) counts[i.hostId] = (counts[i.hostId] ?? 0) + 1;
      if (page.length < 500) return counts;
      before = page.at(-1)!.id;
    }
  }

  *#allHosts() {
    for (let after = 0; ; ) {
      const page = this.#store.hosts.list(after, 500);
      yield* page;
      if (page.length < 500) return;
      after = page.at(-1)!.id;
    }
  }

  #broadcast(text: string): void {
    for (const res of this.#clients.keys()) res.write(text);
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
