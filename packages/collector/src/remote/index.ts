import type { FastifyBaseLogger } from 'fastify';
import { systemClock, systemTimers, type Time } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { Store } from '../store/index.ts';
import type { MetricsConfig } from './config.ts';
import { RemoteHttp } from './http.ts';
import { RemoteQueueRepo } from './queue-repo.ts';
import { EndpointSender } from './sender.ts';
import { RemoteQueueSink } from './sink.ts';

const TRIM_EVERY = 5_000;

/** Remote write: the durable queue fed by the writer, one sender per endpoint, the queue's bounds. */
export class RemoteWrite {
  readonly queue: RemoteQueueRepo;
  readonly senders: EndpointSender[];
  readonly #http: RemoteHttp[];
  readonly #maxBytes: number;
  readonly #time: Time;
  #trimTimer: unknown = null;
  #unsubscribe: (() => void) | null = null;
  readonly #events: EventBus;

  constructor(deps: {
    metrics: Readonly<MetricsConfig>;
    store: Store;
    events: EventBus;
    log: FastifyBaseLogger;
    /** Clock and timers of the senders and the trim; default the real ones, which keep the process up. */
    time?: Time | undefined;
  }) {
    const { metrics } = deps;
    this.#time = deps.time ?? { now: systemClock, timers: systemTimers };
    this.#events = deps.events;
    this.#maxBytes = metrics.queue.maxBytes;
    this.queue = new RemoteQueueRepo(deps.store.db);
    this.queue.syncEndpoints(metrics.remoteWrite.map((e) => e.name));
    this.#http = metrics.remoteWrite.map((e) => new RemoteHttp(e));
    this.senders = metrics.remoteWrite.map(
      (endpoint, i) =>
        new EndpointSender({
          endpoint,
          queue: this.queue,
          http: this.#http[i]!,
          log: deps.log.child({ module: 'remote-write' }),
          time: this.#time,
          batch: metrics.queue.batch,
          maxAge: metrics.queue.maxAge,
          retryMax: metrics.queue.retryMax,
        }),
    );
    deps.store.writer.setSink(new RemoteQueueSink(this.queue, deps.store.hosts, deps.events));
  }

  start(): void {
    for (const s of this.senders) s.start();
    this.#unsubscribe = this.#events.on('snapshot.stored', () => {
      for (const s of this.senders) s.wake();
    });
    const trim = () => {
      this.trim();
      this.#trimTimer = this.#time.timers.setTimeout(trim, TRIM_EVERY);
    };
    this.#trimTimer = this.#time.timers.setTimeout(trim, TRIM_EVERY);
  }

  /** Holds the queue to metrics.queue.maxBytes, counting what each endpoint lost. */
  trim(): void {
    for (const { endpoint, samples } of this.queue.trimToBytes(this.#maxBytes)) {
      this.senders.find((s) => s.name === endpoint)?.droppedByQueue(samples);
    }
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    if (this.#trimTimer !== null) this.#time.timers.clearTimeout(this.#trimTimer);
    await Promise.all(this.senders.map((s) => s.stop()));
    await Promise.all(this.#http.map((h) => h.close()));
  }
}
