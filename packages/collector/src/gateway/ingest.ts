import type { FastifyBaseLogger } from 'fastify';
import type { Time } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { IncomingSnapshot, SnapshotWriter, WritePlan, WriteResult } from '../store/writer.ts';
import type { WriterThread } from '../store/writer-thread.ts';
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
 *
 * With a writer thread, a timed flush hands its rows to the thread and the main thread goes on
 * decoding while SQLite works; one batch is in flight at a time, so batches commit in order.
 * flush() is still synchronous: it waits for the batch in flight, then commits the rest here.
 */
export class IngestQueue {
  #queue: Pending[] = [];
  #timer: unknown = null;
  /** The batch the writer thread is committing. */
  #inFlight: { batch: Pending[]; plan: WritePlan; started: number } | null = null;
  readonly #writer: SnapshotWriter;
  readonly #thread: WriterThread | null;
  readonly #events: EventBus;
  readonly #stats: GatewayStats;
  readonly #log: FastifyBaseLogger;
  readonly #interval: number;
  readonly #rows: number;
  readonly #time: Time;

  constructor(deps: {
    writer: SnapshotWriter;
    /** Commits batches off the main thread; null: every flush commits on the main thread. */
    thread: WriterThread | null;
    events: EventBus;
    stats: GatewayStats;
    log: FastifyBaseLogger;
    flushInterval: number;
    flushRows: number;
    time: Time;
  }) {
    this.#writer = deps.writer;
    this.#thread = deps.thread;
    this.#events = deps.events;
    this.#stats = deps.stats;
    this.#log = deps.log;
    this.#interval = deps.flushInterval;
    this.#rows = deps.flushRows;
    this.#time = deps.time;
  }

  get depth(): number {
    return this.#queue.length + (this.#inFlight?.batch.length ?? 0);
  }

  push(from: AckTarget, snapshots: IncomingSnapshot['snapshot'][], receivedAt: number): void {
    for (const snapshot of snapshots) this.#queue.push({ hostId: from.hostId, snapshot, receivedAt, from });
    // The batch in flight schedules the next flush when it is answered (a timer per snapshot
    // meanwhile, with flushRows waiting, was thousands of empty timers a second under backlog).
    if (this.#inFlight) return;
    if (this.#queue.length >= this.#rows) {
      this.#schedule(0);
    } else {
      this.#schedule(this.#interval);
    }
  }

  hasPending(hostId: number): boolean {
    const has = (p: Pending) => p.hostId === hostId;
    return this.#queue.some(has) || (this.#inFlight?.batch.some(has) ?? false);
  }

  #schedule(delay: number): void {
    if (this.#timer && delay > 0) return;
    if (this.#timer) this.#time.timers.clearTimeout(this.#timer);
    this.#timer = this.#time.timers.setTimeout(() => {
      this.#timer = null;
      this.#flushTimed();
    }, delay);
  }

  #flushTimed(): void {
    // The batch in flight reschedules when it is answered.
    if (this.#inFlight) return;
    if (!this.#thread || !this.#writer.threadable) {
      this.flush();
      return;
    }
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    let plan: WritePlan;
    try {
      plan = this.#writer.plan(batch);
    } catch (err) {
      this.#failed(batch, err);
      return;
    }
    const flight = { batch, plan, started: performance.now() };
    this.#inFlight = flight;
    this.#thread.commit(plan.rows, (err) => {
      this.#inFlight = null;
      if (err) {
        this.#writer.abandon(plan);
        this.#failed(batch, err);
        return;
      }
      this.#done(batch, this.#writer.committed(plan), flight.started);
      if (this.#queue.length > 0) this.#schedule(this.#queue.length >= this.#rows ? 0 : this.#interval);
    });
  }

  /** Commits everything queued now (synchronously). Returns false when the write failed. */
  flush(): boolean {
    if (this.#timer) {
      this.#time.timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
    // Its callback acks it, or puts it back in front of the queue when it failed.
    this.#thread?.settle();
    if (this.#queue.length === 0) return true;
    const batch = this.#queue;
    this.#queue = [];
    const started = performance.now();
    let result: WriteResult;
    try {
      result = this.#writer.write(batch);
    } catch (err) {
      this.#failed(batch, err);
      return false;
    }
    this.#done(batch, result, started);
    return true;
  }

  #failed(batch: Pending[], err: unknown): void {
    // Nothing was acked, so nothing is lost: keep the batch and try again shortly.
    this.#stats.flushErrors++;
    this.#log.error({ err, rows: batch.length }, 'ingest flush failed; retrying');
    this.#queue = batch.concat(this.#queue);
    this.#schedule(Math.max(this.#interval, 100));
  }

  #done(batch: Pending[], result: WriteResult, started: number): void {
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
  }

  stop(): void {
    if (this.#timer) this.#time.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
