import type { FastifyBaseLogger } from 'fastify';
import type { Time } from '../clock.ts';
import type { RemoteWriteEndpoint } from './config.ts';
import { type EncodedSeries, encodeLabels, encodeWriteRequest } from './encode.ts';
import type { RemoteHttp } from './http.ts';
import type { QueuedRow, RemoteQueueRepo } from './queue-repo.ts';

export type DropReason = 'rejected' | 'too-old' | 'queue-full';
export type FailureKind = 'network' | 'server' | 'throttled' | 'auth';

export interface EndpointStats {
  samplesSent: number;
  requests: number;
  failures: Record<FailureKind, number>;
  dropped: Record<DropReason, number>;
}

const FIRST_RETRY = 500;
const MAX_RETRY_AFTER = 5 * 60_000;
/** Hosts whose series' encoded labels are kept (about 30 series each). */
const LABEL_CACHE_HOSTS = 50_000;

/** `pantau_host_cpu_*` → a matcher; linear in the name's length, no regular expression. */
export function nameMatcher(globs: readonly string[] | null): (name: string) => boolean {
  if (globs === null) return () => true;
  const compiled = globs.map((g) => g.split('*'));
  return (name) => compiled.some((parts) => globMatch(parts, name));
}

function globMatch(parts: string[], name: string): boolean {
  if (parts.length === 1) return parts[0] === name;
  const first = parts[0]!;
  const last = parts.at(-1)!;
  if (!name.startsWith(first) || !name.endsWith(last) || name.length < first.length + last.length)
    return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = name.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/**
 * Sends one endpoint's share of the queue, in order: a batch of rows becomes one remote-write
 * request; 2xx moves the endpoint's cursor; 5xx, 429, 401, 403 and network errors retry the same
 * batch with backoff; any other 4xx drops the batch with a counted, logged reason.
 */
export class EndpointSender {
  readonly stats: EndpointStats = {
    samplesSent: 0,
    requests: 0,
    failures: { network: 0, server: 0, throttled: 0, auth: 0 },
    dropped: { rejected: 0, 'too-old': 0, 'queue-full': 0 },
  };
  readonly #endpoint: RemoteWriteEndpoint;
  readonly #queue: RemoteQueueRepo;
  readonly #http: RemoteHttp;
  readonly #log: FastifyBaseLogger;
  readonly #time: Time;
  readonly #batch: number;
  readonly #maxAge: number;
  readonly #retryMax: number;
  readonly #wanted: (name: string) => boolean;
  /** Series name → selected by `metrics`; names are few, so this stays small. */
  readonly #selected = new Map<string, boolean>();
  /** Host label text → series key (name, own label values) → the series' encoded labels. */
  readonly #encoded = new Map<string, Map<string, Uint8Array>>();
  #cursor: number;
  #running: Promise<void> | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;

  constructor(deps: {
    endpoint: RemoteWriteEndpoint;
    queue: RemoteQueueRepo;
    http: RemoteHttp;
    log: FastifyBaseLogger;
    time: Time;
    batch: number;
    maxAge: number;
    retryMax: number;
  }) {
    this.#endpoint = deps.endpoint;
    this.#queue = deps.queue;
    this.#http = deps.http;
    this.#log = deps.log.child({ endpoint: deps.endpoint.name });
    this.#time = deps.time;
    this.#batch = deps.batch;
    this.#maxAge = deps.maxAge;
    this.#retryMax = deps.retryMax;
    this.#wanted = nameMatcher(deps.endpoint.metrics);
    this.#cursor = deps.queue.cursor(deps.endpoint.name);
  }

  get name(): string {
    return this.#endpoint.name;
  }

  /** Rows not yet delivered, and how far behind the oldest of them is (ms, 0 when none). */
  lag(): { rows: number; ms: number } {
    const d = this.#queue.depth(this.#cursor);
    return { rows: d.rows, ms: d.oldest === null ? 0 : Math.max(0, this.#time.now() - d.oldest) };
  }

  /** Counts samples a queue bound took from this endpoint and moves past them. */
  droppedByQueue(samples: number): void {
    this.stats.dropped['queue-full'] += samples;
    this.#cursor = this.#queue.cursor(this.#endpoint.name);
    this.#log.warn({ samples }, 'remote-write queue full: oldest samples dropped');
  }

  start(): void {
    this.#stopped = false;
    this.#running ??= this.#loop().finally(() => {
      this.#running = null;
    });
  }

  /** New rows were committed: stop idling. */
  wake(): void {
    this.#wake?.();
  }

  /** Lets the request in flight finish (so nothing is sent twice after a restart), then stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    let retry = 0;
    while (!this.#stopped) {
      let retryIn: number | null;
      try {
        retryIn = await this.#step();
      } catch (err) {
        // A bug, a damaged row or a busy database must not end the loop (nor the process).
        this.#log.error({ err }, 'remote write failed unexpectedly; retrying');
        retryIn = 0;
      }
      if (retryIn === null) {
        retry = 0;
      } else {
        retry = Math.min(this.#retryMax, retry === 0 ? FIRST_RETRY : retry * 2);
        await this.#sleep(Math.min(Math.max(retry, retryIn), MAX_RETRY_AFTER), false);
      }
    }
  }

  /** Sends the next batch, or idles until woken. Returns when to retry (ms), or null to go on. */
  async #step(): Promise<number | null> {
    const rows = this.#queue.after(this.#cursor, this.#batch);
    if (rows.length === 0) {
      await this.#sleep(60_000, true);
      return null;
    }
    const { retryIn } = await this.#deliver(rows);
    if (retryIn === null) {
      this.#queue.advance(this.#endpoint.name, rows.at(-1)!.id);
      this.#cursor = rows.at(-1)!.id;
    }
    return retryIn;
  }

  /** One request for a batch. `retryIn` null: the batch is done with (sent or dropped). */
  async #deliver(rows: QueuedRow[]): Promise<{ retryIn: number | null }> {
    const { series, samples, tooOld } = this.#build(rows);
    if (tooOld > 0) {
      this.stats.dropped['too-old'] += tooOld;
      this.#log.warn({ samples: tooOld }, 'remote-write samples older than metrics.queue.maxAge dropped');
    }
    if (samples === 0) return { retryIn: null };
    this.stats.requests++;
    let answer: Awaited<ReturnType<RemoteHttp['send']>>;
    try {
      answer = await this.#http.send(
        'POST',
        this.#endpoint.url,
        {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-write-version': '0.1.0',
        },
        encodeWriteRequest(series),
      );
    } catch (err) {
      this.stats.failures.network++;
      this.#log.warn({ err: (err as Error).message }, 'remote write failed; retrying');
      return { retryIn: 0 };
    }
    if (answer.status >= 200 && answer.status < 300) {
      this.stats.samplesSent += samples;
      return { retryIn: null };
    }
    const detail = { status: answer.status, body: answer.body.slice(0, 500) };
    if (answer.status === 429 || answer.status >= 500) {
      this.stats.failures[answer.status === 429 ? 'throttled' : 'server']++;
      this.#log.warn(detail, 'remote write refused for now; retrying');
      const after = Number(answer.headers['retry-after']);
      return { retryIn: Number.isFinite(after) && after > 0 ? after * 1000 : 0 };
    }
    if (answer.status === 401 || answer.status === 403) {
      // The credentials are wrong, not the batch: an operator fixes them, and the samples wait.
      this.stats.failures.auth++;
      this.#log.error(detail, 'remote write refused our credentials; retrying');
      return { retryIn: 0 };
    }
    // Any other answer means this batch will never be accepted: resending it would block the queue.
    this.stats.dropped.rejected += samples;
    this.#log.error({ ...detail, samples }, 'remote write rejected the samples; dropped');
    return { retryIn: null };
  }

  #build(rows: QueuedRow[]): { series: EncodedSeries[]; samples: number; tooOld: number } {
    // Grouped by host (the row's label text), then by name and own labels: short keys per sample.
    const byHost = new Map<string, Map<string, EncodedSeries>>();
    const oldest = this.#time.now() - this.#maxAge;
    let samples = 0;
    let tooOld = 0;
    for (const row of rows) {
      let group = byHost.get(row.labelsText);
      if (!group) {
        group = new Map();
        byHost.set(row.labelsText, group);
      }
      for (const [name, value, own] of row.samples) {
        if (!this.#wants(name)) continue;
        if (row.ts < oldest) {
          tooOld++;
          continue;
        }
        const key = own ? `${name}\0${Object.values(own).join('\0')}` : name;
        let series = group.get(key);
        if (!series) {
          series = { labels: this.#labels(row, key, name, own), samples: [] };
          group.set(key, series);
        }
        series.samples.push([row.ts, value]);
        samples++;
      }
    }
    const series: EncodedSeries[] = [];
    for (const group of byHost.values()) {
      for (const s of group.values()) {
        s.samples.sort((a, b) => a[0] - b[0]);
        series.push(s);
      }
    }
    return { series, samples, tooOld };
  }

  /** A series' encoded labels, from the cache: sorting and encoding them per sample would dominate a batch. */
  #labels(row: QueuedRow, key: string, name: string, own?: Record<string, string>): Uint8Array {
    let host = this.#encoded.get(row.labelsText);
    if (!host) {
      // Hosts come and go: start over rather than grow without bound.
      if (this.#encoded.size >= LABEL_CACHE_HOSTS) this.#encoded.clear();
      host = new Map();
      this.#encoded.set(row.labelsText, host);
    }
    let bytes = host.get(key);
    if (!bytes) {
      const labels: Record<string, string> = { ...this.#endpoint.extraLabels, ...row.labels, ...own };
      labels.__name__ = name;
      const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      bytes = encodeLabels(sorted);
      host.set(key, bytes);
    }
    return bytes;
  }

  #wants(name: string): boolean {
    let yes = this.#selected.get(name);
    if (yes === undefined) {
      yes = this.#wanted(name);
      this.#selected.set(name, yes);
    }
    return yes;
  }

  #sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#time.timers.clearTimeout(handle);
        this.#wake = null;
        resolve();
      };
      const handle = this.#time.timers.setTimeout(done, ms);
      this.#wake = wakeable ? done : () => this.#stopped && done();
    });
  }
}
