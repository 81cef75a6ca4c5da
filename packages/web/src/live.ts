import type {
  LiveHost,
  StreamHello,
  StreamHosts,
  StreamIncidents,
  StreamJobs,
  StreamRemoved,
} from '@pantau/collector/api-types';
import { batch, signal } from '@preact/signals';
import { authHeaders, forget, session } from './api.ts';

/** How many recent values each host's sparklines keep. */
export const SPARK_POINTS = 40;

export interface FleetHost extends LiveHost {
  /** Recent CPU and memory %, oldest first, for the sparklines. */
  sparkCpu: number[];
  sparkMem: number[];
}

export type Connection = 'connecting' | 'live' | 'lost';

/** The state of the live stream: the banner shows it and pages wait for `live`. */
export const connection = signal<Connection>('connecting');
/** Every host, updated as snapshots are stored (a new Map per batch, so pages re-render). */
export const fleet = signal<Map<number, FleetHost>>(new Map());
/** Active (open or acknowledged) incidents per host id. */
export const incidentCounts = signal<Record<string, number>>({});
/** When the last batch arrived (ms), for the "updated" hint. */
export const lastUpdate = signal(0);
/** The last batch of jobs created or changed anywhere (any surface), so job pages stay live. */
export const jobChanges = signal<{ ids: number[] }>({ ids: [] });
/** The time, ticking every second while signed in, so ages ("5s ago") keep counting between batches. */
export const clock = signal(Date.now());

const push = (list: number[], v: number | null) => {
  if (v === null) return list;
  const next = list.length >= SPARK_POINTS ? list.slice(1) : list.slice();
  next.push(v);
  return next;
};

function apply(hosts: LiveHost[], replace: boolean): void {
  const next = replace ? new Map<number, FleetHost>() : new Map(fleet.value);
  for (const h of hosts) {
    const before = replace ? fleet.value.get(h.id) : next.get(h.id);
    const fresh = before?.ts !== h.ts;
    next.set(h.id, {
      ...h,
      sparkCpu: fresh ? push(before?.sparkCpu ?? [], h.cpu) : (before?.sparkCpu ?? []),
      sparkMem: fresh ? push(before?.sparkMem ?? [], h.mem) : (before?.sparkMem ?? []),
    });
  }
  fleet.value = next;
  lastUpdate.value = Date.now();
}

const handlers: Record<string, (data: string) => void> = {
  hello: (data) => {
    const hello = JSON.parse(data) as StreamHello;
    batch(() => {
      apply(hello.hosts, true);
      incidentCounts.value = hello.incidents;
    });
  },
  hosts: (data) => apply((JSON.parse(data) as StreamHosts).hosts, false),
  removed: (data) => {
    const next = new Map(fleet.value);
    for (const id of (JSON.parse(data) as StreamRemoved).ids) next.delete(id);
    fleet.value = next;
  },
  incidents: (data) => {
    incidentCounts.value = (JSON.parse(data) as StreamIncidents).counts;
  },
  jobs: (data) => {
    jobChanges.value = JSON.parse(data) as StreamJobs;
  },
};

/** Reads one SSE response until it ends; each complete event goes to its handler. */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  handlers: Record<string, (data: string) => void>,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) handlers[event]?.(data);
      end = buffer.indexOf('\n\n');
    }
  }
}

let running: AbortController | null = null;

/**
 * Keeps the stream open while signed in: fetch (so an API token can go in a header, which
 * EventSource cannot send), and after a drop retries every 1–5 s until the collector answers.
 */
export function startLive(): void {
  if (running) return;
  const abort = new AbortController();
  running = abort;
  const tick = setInterval(() => (clock.value = Date.now()), 1000);
  abort.signal.addEventListener('abort', () => clearInterval(tick));
  void (async () => {
    let delay = 1000;
    while (!abort.signal.aborted && session.value) {
      try {
        const res = await fetch('/api/v1/stream', {
          headers: authHeaders(),
          credentials: 'same-origin',
          signal: abort.signal,
        });
        if (res.status === 401) {
          forget();
          break;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        connection.value = 'live';
        delay = 1000;
        await readSse(res.body, handlers);
      } catch {
        if (abort.signal.aborted) break;
      }
      connection.value = 'lost';
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 1.5, 5000);
    }
    if (running === abort) running = null;
  })();
}

export function stopLive(): void {
  running?.abort();
  running = null;
  connection.value = 'connecting';
}
