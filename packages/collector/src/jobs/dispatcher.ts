import { type CollectorFrame, outputParts } from '@pantau/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor } from '../access/actor.ts';
import { type Clock, systemClock, type Timers, unrefTimers } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { AgentJobFrame, JobFrameVerdict } from '../gateway/gateway.ts';
import type { AuditLog } from '../store/audit.ts';
import type { HostRepo } from '../store/hosts.ts';
import type { JobHead, JobRepo, RunPatch } from './job-repo.ts';
import {
  type Amount,
  FAILED_RUN_STATES,
  isRunFinal,
  type Job,
  parseProtocolJobId,
  protocolJobId,
  type Run,
  type RunState,
} from './types.ts';

/** The collector's own timeout fires this long after the agent's, in case the agent never reports. */
export const REPORT_MARGIN_MS = 5_000;
/** After a restart, queued runs wait this long for their agents to reconnect before being started. */
const RECONNECT_WINDOW_MS = 10_000;
/** Job frames that met a locked database are stored again after this long, ms. */
const LOCKED_RETRY_MS = 250;

/** SQLITE_BUSY and its extended codes: the file was locked, nothing is wrong with the frames. */
const isLocked = (err: unknown) =>
  String((err as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_BUSY');

export interface DispatcherDeps {
  repo: JobRepo;
  hosts: HostRepo;
  gateway: { send(hostId: number, frame: CollectorFrame): boolean; isOnline(hostId: number): boolean };
  events: EventBus;
  audit: AuditLog;
  log: FastifyBaseLogger;
  outputCap: number;
  lostGrace: number;
  /** An actor id as people read it (access/'s names), for run errors; default the id itself. */
  nameOf?: ((actor: string) => string) | undefined;
  /** Clock, epoch ms. Default the system clock. */
  now?: Clock;
  /** Timer functions. Default the global ones, unref'd (a pending run never keeps the process up). */
  timers?: Timers;
}

/** `10` or `"10%"` of `total`, at least 1; null when not given. */
export function amountOf(amount: Amount | null, total: number): number | null {
  if (amount === null) return null;
  if (typeof amount === 'number') return amount;
  return Math.max(1, Math.ceil((total * Number.parseFloat(amount)) / 100));
}

const key = (jobId: number, hostId: number) => `${jobId}:${hostId}`;

interface QueuedFrame {
  jobId: number;
  hostId: number;
  frame: AgentJobFrame;
  at: number;
}

/**
 * Runs started jobs: windowed fan-out, stop after failures, per-host timeouts, cancels, the
 * agents' job frames, and reconciliation after disconnects and restarts. Every state change is
 * stored with its event (for SSE) and emitted on the bus; every run ends in exactly one state.
 */
export class Dispatcher {
  readonly #d: DispatcherDeps;
  readonly #now: Clock;
  readonly #timers: Timers;
  readonly #timeouts = new Map<string, unknown>();
  readonly #lost = new Map<string, unknown>();
  readonly #later = new Set<unknown>();
  /** Agents' job frames accepted since the last flush: a burst is stored in one transaction. */
  #queue: QueuedFrame[] = [];
  #flushAt: NodeJS.Immediate | null = null;
  /** A flush retried after the database was locked. */
  #retryAt: unknown;
  /** While a batch is written: bus events and pumps wait for its commit. */
  #batch: { emits: (() => void)[]; pumps: Set<number> } | null = null;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
    this.#now = deps.now ?? systemClock;
    this.#timers = deps.timers ?? unrefTimers;
  }

  /**
   * Runs `fn` as one transaction: bus events and fan-out wait for its commit and are dropped
   * with a rollback, so nobody hears of a change that was not stored. Joins an enclosing one.
   */
  atomically<T>(fn: () => T): T {
    if (this.#batch) return this.#d.repo.transaction(fn);
    const batch = { emits: [] as (() => void)[], pumps: new Set<number>() };
    this.#batch = batch;
    let result: T;
    try {
      result = this.#d.repo.transaction(fn);
    } finally {
      this.#batch = null;
    }
    for (const emit of batch.emits) emit();
    for (const jobId of batch.pumps) this.pump(jobId);
    return result;
  }

  /** Stores a job-level event and tells the bus. */
  jobChanged(jobId: number, now = this.#now()): Job {
    const job = this.#d.repo.get(jobId)!;
    const seq = this.#d.repo.appendEvent(jobId, 'job', null, job, now);
    this.#tell(() => this.#d.events.emit('job.changed', { job, seq }));
    return job;
  }

  /** Marks the job running and starts its first window. */
  start(jobId: number, now = this.#now()): void {
    this.#d.repo.update(jobId, { state: 'running', startedAt: now, decideBy: null });
    this.#d.log.info({ jobId }, 'job started');
    this.jobChanged(jobId, now);
    this.#pumpSoon(jobId);
  }

  /** Pumps now, or after the transaction being written commits. */
  #pumpSoon(jobId: number): void {
    if (this.#batch) this.#batch.pumps.add(jobId);
    else this.pump(jobId);
  }

  /** Starts as many queued runs as the window allows; ends the job when nothing is left. */
  pump(jobId: number): void {
    for (;;) {
      const job = this.#d.repo.head(jobId);
      if (job?.state !== 'running') return;
      // Counts, not rows: a 1000-host job is pumped once per finished run.
      const counts = job.counts;
      const total = Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
      const queued = counts.queued ?? 0;
      const inflight = counts.running ?? 0;
      const failures = [...FAILED_RUN_STATES].reduce((sum, state) => sum + (counts[state] ?? 0), 0);
      const stopAt = amountOf(job.stopAfterFailures, total);
      if (queued > 0 && (job.cancelledBy !== null || (stopAt !== null && failures >= stopAt))) {
        const why =
          job.cancelledBy !== null
            ? `job cancelled by ${this.#d.nameOf?.(job.cancelledBy) ?? job.cancelledBy} before this host started`
            : `not started: ${failures} host(s) failed (stopAfterFailures ${job.stopAfterFailures})`;
        this.#d.repo.transaction(() => {
          for (const run of this.#d.repo.nextQueued(jobId, queued))
            this.#endRun(run, { state: 'cancelled', error: why });
        });
        continue;
      }
      if (queued === 0) {
        if (inflight === 0) this.#finishJob(job, total, counts.succeeded ?? 0, failures);
        return;
      }
      const window = amountOf(job.batch, total) ?? total;
      const free = window - inflight;
      if (free <= 0) return;
      const params = this.#d.repo.sentParams(jobId);
      const endedAtOnce = this.#d.repo.transaction(() =>
        this.#d.repo
          .nextQueued(jobId, free)
          .reduce((ended, run) => this.#launch(job, run, params) || ended, false),
      );
      if (!endedAtOnce) return;
    }
  }

  /** Sends job.start, or ends the run at once; true when it ended at once. */
  #launch(job: JobHead, run: Run, params: Record<string, string | number>): boolean {
    const host = this.#d.hosts.get(run.hostId);
    if (!host || !this.#d.gateway.isOnline(run.hostId)) {
      this.#endRun(run, { state: 'unreachable', error: `${run.host} was offline when its turn came` });
      return true;
    }
    if (!host.actions.some((a) => a.name === job.action)) {
      this.#endRun(run, {
        state: 'rejected',
        error: `action-not-allowed: ${run.host}'s agent does not allow ${job.action}; the collector did not send it`,
      });
      return true;
    }
    const sent = this.#d.gateway.send(run.hostId, {
      t: 'job.start',
      jobId: protocolJobId(job.id, run.hostId),
      action: job.action,
      params,
      timeoutMs: job.timeoutMs,
    });
    if (!sent) {
      this.#endRun(run, { state: 'unreachable', error: `${run.host} went offline as its job was sent` });
      return true;
    }
    const now = this.#now();
    this.#setRun(run, { state: 'running', startedAt: now }, now);
    this.#armTimeout(job.id, run.hostId, job.timeoutMs + REPORT_MARGIN_MS);
    return false;
  }

  #armTimeout(jobId: number, hostId: number, ms: number): void {
    const k = key(jobId, hostId);
    this.#clear(this.#timeouts, k);
    const timer = this.#timers.setTimeout(
      () => {
        this.#timeouts.delete(k);
        this.flush();
        const run = this.#d.repo.run(jobId, hostId);
        if (run?.state !== 'running') return;
        this.#d.gateway.send(hostId, { t: 'job.cancel', jobId: protocolJobId(jobId, hostId) });
        this.finish(run, {
          state: 'timed_out',
          error: `the agent did not report within the timeout and ${REPORT_MARGIN_MS} ms`,
        });
      },
      Math.max(0, ms),
    );
    this.#timeouts.set(k, timer);
  }

  #clear(timers: Map<string, unknown>, k: string): void {
    const timer = timers.get(k);
    if (timer !== undefined) this.#timers.clearTimeout(timer);
    timers.delete(k);
  }

  /**
   * What the gateway hands over: output, end or refusal of one run. Judged now, stored with the
   * rest of its burst at the next flush (frames of one connection keep their order).
   */
  onFrame(hostId: number, frame: AgentJobFrame): JobFrameVerdict {
    const ids = parseProtocolJobId(frame.jobId);
    if (!ids || ids.hostId !== hostId) return 'unknown';
    const run = this.#d.repo.run(ids.jobId, hostId);
    if (!run || run.state === 'queued') return 'unknown';
    if (isRunFinal(run.state)) return 'late';
    this.#queue.push({ jobId: ids.jobId, hostId, frame, at: this.#now() });
    this.#flushAt ??= setImmediate(() => this.flush());
    return 'ok';
  }

  /**
   * Stores the queued frames in one transaction, then tells the bus and lets the jobs go on:
   * nothing is reported before it is committed. Called before anything that reads runs' states.
   */
  flush(): void {
    // Inside a batch the scheduled flush stays armed: it runs once the batch has committed.
    if (this.#batch) return;
    if (this.#flushAt) clearImmediate(this.#flushAt);
    this.#flushAt = null;
    if (this.#queue.length === 0) return;
    const frames = this.#queue;
    this.#queue = [];
    const err = this.#write(frames);
    if (err === null) return;
    if (isLocked(err)) {
      this.#retry(frames);
      return;
    }
    // One bad frame must not cost its burst: store them one by one, dropping only what fails.
    for (const [i, f] of frames.entries()) {
      const one = this.#write([f]);
      if (one !== null && isLocked(one)) {
        this.#retry(frames.slice(i));
        return;
      }
    }
  }

  /** The database stayed locked past busy_timeout: the frames wait at the front for another try. */
  #retry(frames: QueuedFrame[]): void {
    this.#queue = [...frames, ...this.#queue];
    this.#d.log.warn({ frames: frames.length, retryMs: LOCKED_RETRY_MS }, 'database locked; job frames kept');
    if (this.#retryAt !== undefined) return;
    this.#retryAt = this.#timers.setTimeout(() => {
      this.#retryAt = undefined;
      this.flush();
    }, LOCKED_RETRY_MS);
  }

  /** Stores frames in one transaction; the error when it was rolled back. */
  #write(frames: readonly QueuedFrame[]): unknown {
    try {
      this.atomically(() => {
        for (const f of frames) this.#apply(f);
      });
    } catch (err) {
      if (!isLocked(err)) this.#d.log.error({ err, frames: frames.length }, 'storing job frames failed');
      return err;
    }
    return null;
  }

  /** Emits now, or after the batch being written is committed. */
  #tell(emit: () => void): void {
    if (this.#batch) this.#batch.emits.push(emit);
    else emit();
  }

  #apply({ jobId, hostId, frame, at: now }: QueuedFrame): void {
    const run = this.#d.repo.run(jobId, hostId);
    // Ended by an earlier frame of the same batch, or by a timer before the flush.
    if (!run || isRunFinal(run.state)) return;
    switch (frame.t) {
      case 'job.output':
        // Parts keep the order the job wrote them in; each is one event, so one seq orders both streams.
        for (const part of outputParts(frame)) {
          this.#output(this.#d.repo.run(jobId, hostId)!, part.stream, part.data, now);
        }
        return;
      case 'job.end': {
        const state: RunState = frame.timedOut
          ? 'timed_out'
          : frame.cancelled
            ? 'cancelled'
            : frame.exitCode === 0 && !frame.error
              ? 'succeeded'
              : 'failed';
        this.finish(run, {
          state,
          exitCode: frame.exitCode,
          signal: frame.signal,
          durationMs: frame.durationMs,
          truncated: run.truncated || frame.truncated,
          droppedBytes: run.droppedBytes + (frame.droppedBytes ?? 0),
          error: frame.error ?? null,
        });
        return;
      }
      case 'job.rejected':
        this.#d.audit.record(
          { id: `host:${hostId}`, surface: 'system' },
          'job.rejected',
          `job:${run.jobId}`,
          { host: run.host, code: frame.code, reason: frame.reason },
          now,
        );
        this.finish(run, { state: 'rejected', error: `${frame.code}: ${frame.reason}` });
        return;
    }
  }

  #output(run: Run & { outputBytes: number }, stream: 'stdout' | 'stderr', data: string, now: number): void {
    const cap = this.#d.outputCap;
    const bytes = Buffer.from(data, 'utf8');
    if (run.outputBytes >= cap) {
      const droppedBytes = run.droppedBytes + bytes.length;
      // Told once; the count goes on quietly and shows with the run's end.
      if (!run.truncated) this.#setRun(run, { truncated: true, droppedBytes }, now);
      else this.#d.repo.updateRun(run.jobId, run.hostId, { droppedBytes });
      return;
    }
    let text = data;
    let size = bytes.length;
    if (run.outputBytes + size > cap) {
      text = bytes.subarray(0, cap - run.outputBytes).toString('utf8');
      size = cap - run.outputBytes;
    }
    const payload = { hostId: run.hostId, host: run.host, stream, data: text, ts: now };
    const seq = this.#d.repo.transaction(() => {
      this.#d.repo.addOutputBytes(run.jobId, run.hostId, size);
      if (size < bytes.length) {
        this.#d.repo.updateRun(run.jobId, run.hostId, {
          truncated: true,
          droppedBytes: run.droppedBytes + bytes.length - size,
        });
      }
      return this.#d.repo.appendEvent(run.jobId, 'output', run.hostId, payload, now);
    });
    this.#tell(() => this.#d.events.emit('job.output', { jobId: run.jobId, seq, ...payload }));
  }

  /** Ends a run and lets the job go on. */
  finish(run: Run, patch: RunPatch): void {
    this.#endRun(run, patch);
    this.#pumpSoon(run.jobId);
  }

  #endRun(run: Run, patch: RunPatch): void {
    const now = this.#now();
    const k = key(run.jobId, run.hostId);
    this.#clear(this.#timeouts, k);
    this.#clear(this.#lost, k);
    const durationMs = patch.durationMs ?? (run.startedAt === null ? null : now - run.startedAt);
    this.#setRun(run, { ...patch, endedAt: now, durationMs }, now);
  }

  #setRun(run: Run, patch: RunPatch, now: number): void {
    const seq = this.#d.repo.transaction(() => {
      this.#d.repo.updateRun(run.jobId, run.hostId, patch);
      const updated = this.#d.repo.run(run.jobId, run.hostId)!;
      return { seq: this.#d.repo.appendEvent(run.jobId, 'run', run.hostId, runView(updated), now), updated };
    });
    const { outputBytes: _, ...view } = seq.updated;
    this.#tell(() => this.#d.events.emit('job.run', { jobId: run.jobId, seq: seq.seq, run: view }));
  }

  /** Any failed host fails the job; hosts cancelled one by one (and none failed) make it cancelled. */
  #finishJob(job: JobHead, total: number, succeeded: number, failures: number): void {
    const state =
      job.cancelledBy !== null
        ? 'cancelled'
        : succeeded === total
          ? 'succeeded'
          : failures > 0
            ? 'failed'
            : 'cancelled';
    this.#d.repo.update(job.id, { state, endedAt: this.#now() });
    this.#d.log.info({ jobId: job.id, activity: job.activity, state, hosts: total }, 'job ended');
    this.jobChanged(job.id);
  }

  /** Cancels what is queued and asks the agents to stop what runs; the job ends when they report. */
  cancel(job: Job, by: Pick<Actor, 'id' | 'name'>): void {
    this.flush();
    this.#d.repo.update(job.id, { cancelledBy: by.id });
    for (const run of this.#d.repo.runs(job.id)) {
      if (run.state === 'running') this.cancelRun(run, by.name);
    }
    this.pump(job.id);
  }

  /** `by`: who asked, by name, for the run's error text. */
  cancelRun(given: Run, by: string): void {
    this.flush();
    // A frame just stored may have ended it.
    const run = this.#d.repo.run(given.jobId, given.hostId) ?? given;
    if (run.state === 'queued') {
      this.finish(run, { state: 'cancelled', error: `cancelled by ${by} before it started` });
    } else if (run.state === 'running') {
      const asked = this.#d.gateway.send(run.hostId, {
        t: 'job.cancel',
        jobId: protocolJobId(run.jobId, run.hostId),
      });
      // An offline host cannot be asked; the run ends now and a late report is dropped.
      if (!asked)
        this.finish(run, { state: 'cancelled', error: `cancelled by ${by} while ${run.host} was offline` });
    }
  }

  /** Ends the queued runs of a job that will never start (expired, or cancelled while awaiting). */
  dropQueued(jobId: number, error: string): void {
    this.#d.repo.transaction(() => {
      for (const run of this.#d.repo.runs(jobId))
        if (run.state === 'queued') this.#endRun(run, { state: 'cancelled', error });
    });
  }

  /** A host's connection ended: its running runs become lost unless it reports them in time. */
  hostOffline(hostId: number): void {
    this.flush();
    for (const run of this.#d.repo.runningOnHost(hostId)) this.#armLost(run);
  }

  #armLost(run: Run): void {
    const k = key(run.jobId, run.hostId);
    this.#clear(this.#lost, k);
    const timer = this.#timers.setTimeout(() => {
      this.#lost.delete(k);
      this.flush();
      const now = this.#d.repo.run(run.jobId, run.hostId);
      if (now?.state !== 'running') return;
      this.#d.log.warn({ jobId: run.jobId, host: run.host }, 'run lost: the host did not report it in time');
      this.finish(now, {
        state: 'lost',
        error: `${run.host} disconnected and did not report the job within ${this.#d.lostGrace} ms`,
      });
    }, this.#d.lostGrace);
    this.#lost.set(k, timer);
  }

  /**
   * A host said hello. Its running runs that it no longer holds are lost; the others go on.
   * `held` is null for an agent that does not report its jobs: then only the timeouts settle them.
   */
  hostOnline(hostId: number, held: readonly string[] | null): void {
    this.flush();
    const holding = held === null ? null : new Set(held);
    for (const run of this.#d.repo.runningOnHost(hostId)) {
      this.#clear(this.#lost, key(run.jobId, run.hostId));
      if (holding !== null && !holding.has(protocolJobId(run.jobId, hostId))) {
        this.finish(run, {
          state: 'lost',
          error: `${run.host} reconnected without the job (the agent restarted?)`,
        });
      }
    }
  }

  /** After a start: timers for running runs, and the fan-out of running jobs once agents are back. */
  recover(jobs: readonly Job[]): void {
    const now = this.#now();
    for (const job of jobs) {
      if (job.state !== 'running') continue;
      for (const run of this.#d.repo.runs(job.id)) {
        if (run.state !== 'running') continue;
        this.#armLost(run);
        this.#armTimeout(job.id, run.hostId, (run.startedAt ?? now) + job.timeoutMs + REPORT_MARGIN_MS - now);
      }
      const timer = this.#timers.setTimeout(
        () => {
          this.#later.delete(timer);
          this.pump(job.id);
        },
        Math.min(RECONNECT_WINDOW_MS, this.#d.lostGrace),
      );
      this.#later.add(timer);
    }
  }

  stop(): void {
    this.flush();
    for (const t of [...this.#timeouts.values(), ...this.#lost.values(), ...this.#later])
      this.#timers.clearTimeout(t);
    if (this.#retryAt !== undefined) this.#timers.clearTimeout(this.#retryAt);
    this.#retryAt = undefined;
    this.#timeouts.clear();
    this.#lost.clear();
    this.#later.clear();
  }
}

/** A run as its `run` events show it. */
export function runView(run: Run) {
  return {
    hostId: run.hostId,
    host: run.host,
    state: run.state,
    exitCode: run.exitCode,
    signal: run.signal,
    durationMs: run.durationMs,
    truncated: run.truncated,
    droppedBytes: run.droppedBytes,
    error: run.error,
  };
}
