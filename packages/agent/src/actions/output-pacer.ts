import type { JobEndFrame, JobOutputFrame, OutputPart } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { monotonicMs, type Timers, unrefTimers } from '../clock.ts';

/** A job.output frame with its output as parts, the form this agent sends. */
export type PartsFrame = Extract<JobOutputFrame, { parts: unknown }>;

export interface PacerOptions {
  send(frame: PartsFrame | JobEndFrame): void;
  /** True while the connection cannot take more (its send buffer is full): nothing is sent then. */
  congested?: () => boolean;
  /** Output frames per second over all jobs. Default 5: a quarter of the collector's default gateway.frameRate. */
  framesPerSecond?: number;
  /** Frames that may go at once after a quiet spell. Default 10. */
  burst?: number;
  /** How long output waits to fill a frame, ms. Default 200. */
  flushMs?: number;
  /** Monotonic clock, ms. */
  now?: () => number;
  timers?: Timers;
}

/** How a job's process is held back when its output is not sent fast enough. */
export interface Flow {
  pause(): void;
  resume(): void;
}

interface Pending {
  parts: OutputPart[];
  chars: number;
  /** When the oldest waiting output arrived. */
  since: number;
  flow: Flow;
  paused: boolean;
  end: JobEndFrame | null;
}

/** Waiting output above which a job's process is paused; it resumes below LOW_WATER. */
const HIGH_WATER = 4 * Limits.outputFrame;
const LOW_WATER = Limits.outputFrame;
/** While the connection is congested, look again after this long, ms. */
const CONGESTED_RETRY_MS = 50;

/**
 * Sends every job's output in frames bounded by size (Limits.outputFrame characters) and time
 * (flushMs), both streams interleaved in the order written, within one frame budget for the
 * whole agent: busy output can never trip the collector's frame-rate limit. When a job writes
 * faster than its frames can go, its process is paused (it blocks on its pipes) instead of
 * output being dropped. A job's end goes after all of its output.
 */
export class OutputPacer {
  readonly #o: Required<Omit<PacerOptions, 'congested'>> & { congested: () => boolean };
  readonly #jobs = new Map<string, Pending>();
  #tokens: number;
  #refilledAt: number;
  #timer: unknown;
  #wakeAt = Number.POSITIVE_INFINITY;

  constructor(options: PacerOptions) {
    this.#o = {
      congested: () => false,
      framesPerSecond: 5,
      burst: 10,
      flushMs: 200,
      now: monotonicMs,
      timers: unrefTimers,
      ...options,
    };
    this.#tokens = this.#o.burst;
    this.#refilledAt = this.#o.now();
  }

  /** Starts following a job; `flow` pauses and resumes its process. */
  open(jobId: string, flow: Flow): void {
    this.#jobs.set(jobId, { parts: [], chars: 0, since: 0, flow, paused: false, end: null });
  }

  write(jobId: string, stream: OutputPart['stream'], data: string): void {
    const job = this.#jobs.get(jobId);
    if (!job || data === '') return;
    if (job.chars === 0) job.since = this.#o.now();
    const last = job.parts[job.parts.length - 1];
    if (last?.stream === stream) last.data += data;
    else job.parts.push({ stream, data });
    job.chars += data.length;
    if (job.chars > HIGH_WATER && !job.paused) {
      job.paused = true;
      job.flow.pause();
    }
    this.#pump();
  }

  /** The job ended: its end frame goes once its output has. */
  end(frame: JobEndFrame): void {
    const job = this.#jobs.get(frame.jobId);
    if (!job) {
      this.#o.send(frame);
      return;
    }
    job.end = frame;
    this.#pump();
  }

  /**
   * Sends everything waiting now, whatever the budget (the agent is stopping: a few frames at
   * most, and better than losing a job's last output and its end).
   */
  drain(): void {
    for (const [jobId, job] of this.#jobs) {
      while (job.chars > 0) this.#o.send({ t: 'job.output', jobId, parts: take(job) });
      if (job.end !== null) {
        this.#jobs.delete(jobId);
        this.#o.send(job.end);
      }
    }
  }

  /** Jobs with output or an end still to send. */
  jobIds(): string[] {
    return [...this.#jobs.keys()];
  }

  /** Characters waiting to be sent, over all jobs. */
  get waiting(): number {
    let n = 0;
    for (const job of this.#jobs.values()) n += job.chars;
    return n;
  }

  /** Sends what is due while the budget and the connection allow, then sleeps until the next thing is due. */
  #pump(): void {
    const now = this.#o.now();
    this.#refill(now);
    for (;;) {
      const next = this.#due(now);
      if (!next) break;
      const [jobId, job] = next;
      if (job.chars === 0) {
        // Only the end is left; at most one per job, so it does not spend the output budget.
        this.#jobs.delete(jobId);
        this.#o.send(job.end!);
        continue;
      }
      if (this.#tokens < 1 || this.#o.congested()) break;
      this.#tokens -= 1;
      this.#o.send({ t: 'job.output', jobId, parts: take(job) });
      job.since = now;
      if (job.paused && job.chars <= LOW_WATER) {
        job.paused = false;
        job.flow.resume();
      }
    }
    this.#sleep(now);
  }

  #refill(now: number): void {
    const rate = this.#o.framesPerSecond / 1000;
    this.#tokens = Math.min(this.#o.burst, this.#tokens + (now - this.#refilledAt) * rate);
    this.#refilledAt = now;
  }

  /** The job whose output has waited longest among those due: a full frame, its time is up, or it ended. */
  #due(now: number): [string, Pending] | undefined {
    let best: [string, Pending] | undefined;
    for (const entry of this.#jobs) {
      const job = entry[1];
      const due =
        job.end !== null ||
        job.chars >= Limits.outputFrame ||
        (job.chars > 0 && now - job.since >= this.#o.flushMs);
      if (due && (job.chars === 0 || !best || job.since < best[1].since)) {
        if (job.chars === 0) return entry;
        best = entry;
      }
    }
    return best;
  }

  #sleep(now: number): void {
    let at = Number.POSITIVE_INFINITY;
    for (const job of this.#jobs.values()) {
      if (job.chars === 0 && job.end === null) continue;
      const ready = job.end !== null || job.chars >= Limits.outputFrame ? now : job.since + this.#o.flushMs;
      at = Math.min(at, ready);
    }
    if (at === Number.POSITIVE_INFINITY) return;
    if (this.#o.congested()) at = Math.max(at, now + CONGESTED_RETRY_MS);
    if (this.#tokens < 1) at = Math.max(at, now + (1 - this.#tokens) / (this.#o.framesPerSecond / 1000));
    if (this.#timer !== undefined && this.#wakeAt <= at) return;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#wakeAt = at;
    this.#timer = this.#o.timers.setTimeout(
      () => {
        this.#timer = undefined;
        this.#wakeAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(1, Math.ceil(at - now)),
    );
  }
}

/** Takes up to one frame's worth of parts off the front of a job's waiting output. */
function take(job: Pending): OutputPart[] {
  const out: OutputPart[] = [];
  let room = Limits.outputFrame;
  while (job.parts.length > 0 && room > 0 && out.length < Limits.outputParts) {
    const part = job.parts[0]!;
    if (part.data.length <= room) {
      out.push(job.parts.shift()!);
      room -= part.data.length;
      continue;
    }
    let cut = room;
    // Never split a surrogate pair across frames.
    const code = part.data.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    if (cut === 0) break;
    out.push({ stream: part.stream, data: part.data.slice(0, cut) });
    part.data = part.data.slice(cut);
    room -= cut;
  }
  for (const part of out) job.chars -= part.data.length;
  return out;
}
