import type { FastifyBaseLogger } from 'fastify';
import type { Time } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { IncomingSnapshot, SnapshotWriter } from '../store/writer.ts';
import type { GatewayStats } from './stats.ts';

/** Whoever sent the snapshots and should hear the ack: an agent connection. */
export interface AckTarget {
  readonly hostId: number;
  readonly hostName: string;
  ack(seq: number): void;
  /** A snapshot was refused as forged or broken; the sender is cut off with the reason. */
  refuse(reason: string): void;
}

interface Pending extends IncomingSnapshot {
  from: AckTarget;
}

/**
 * Collects snapshots from every connection and commits them in one transaction per flush
 * (every flushInterval, or at once when flushRows are waiting). Acks go out only after the
 * commit, each carrying the host's highest committed sequence.
 */
export class IngestQueue {
  #queue: Pending[] = [];
  #timer: unknown = null;
  readonly #writer: SnapshotWriter;
  readonly #events: EventBus;
  readonly #stats: GatewayStats;
  readonly #log: FastifyBaseLogger;
  readonly #interval: number;
  readonly #rows: number;
  readonly #time: Time;

  constructor(deps: {
    writer: SnapshotWriter;
    events: EventBus;
    stats: GatewayStats;
    log: FastifyBaseLogger;
    flushInterval: number;
    flushRows: number;
    time: Time;
  }) {
    this.#writer = deps.writer;
    this.#events = deps.events;
    this.#stats = deps.stats;
    this.#log = deps.log;
    this.#interval = deps.flushInterval;
    this.#rows = deps.flushRows;
    this.#time = deps.time;
  }

  get depth(): number {
    return this.#queue.length;
  }

  push(from: AckTarget, snapshots: IncomingSnapshot['snapshot'][], receivedAt: number): void {
    for (const snapshot of snapshots) this.#queue.push({ hostId: from.hostId, snapshot, receivedAt, from });
    if (this.#queue.length >= this.#rows) {
      this.#schedule(0);
    } else {
      this.#schedule(this.#interval);
    }
  }

  hasPending(hostId: number): boolean {
    return this.#queue.some((p) => p.hostId === hostId);
  }

  #schedule(delay: number): void {
    if (this.#timer && delay > 0) return;
    if (this.#timer) this.#time.timers.clearTimeout(this.#timer);
    this.#timer = this.#time.timers.setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, delay);
  }

  /** Commits everything queued now (synchronously). Returns false when the write failed. */
  flush(): boolean {
    if (this.#timer) {
      this.#time.timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#queue.length === 0) return true;
    const batch = this.#queue;
    this.#queue = [];
    const started = performance.now();
    let result: ReturnType<SnapshotWriter['write']>;
    try {
      result = this.#writer.write(batch);
    } catch (err) {
      // Nothing was acked, so nothing is lost: keep the batch and try again shortly.
      this.#stats.flushErrors++;
      this.#log.error({ err, rows: batch.length }, 'ingest flush failed; retrying');
      this.#queue = batch.concat(this.#queue);
      this.#schedule(Math.max(this.#interval, 100));
      return false;
    }
    const now = this.#time.now();
    this.#stats.flushes++;
    this.#stats.flushSeconds += (performance.now() - started) / 1000;
    this.#stats.snapshotsStored += result.stored.length;
    this.#stats.snapshotsDuplicate += result.duplicates;
    const targets = new Set<AckTarget>();
    for (const p of batch) {
      targets.add(p.from);
      this.#stats.observeLatency((now - p.receivedAt) / 1000);
    }
    const refusedFrom = new Set<AckTarget>();
    for (const { item, reason } of result.refused) {
      const from = (item as Pending).from;
      if (refusedFrom.has(from)) continue;
      refusedFrom.add(from);
      this.#stats.framesRejected++;
      from.refuse(reason);
    }
    for (const target of targets) {
      const seq = result.committed.get(target.hostId);
      if (seq !== undefined && !refusedFrom.has(target)) target.ack(seq);
    }
    if (this.#events.listenerCount('snapshot.stored') > 0) {
      for (const item of result.stored as Pending[]) {
        this.#events.emit('snapshot.stored', {
          hostId: item.hostId,
          name: item.from.hostName,
          snapshot: item.snapshot,
        });
      }
    }
    return true;
  }

  stop(): void {
    if (this.#timer) this.#time.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
