import type { JobEndFrame, JobRejectedFrame } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import type { PartsFrame } from '../actions/output-pacer.ts';

export type JobFrame = PartsFrame | JobEndFrame | JobRejectedFrame;

const charsOf = (frame: PartsFrame) => frame.parts.reduce((n, p) => n + p.data.length, 0);
const bytesOf = (frame: PartsFrame) => frame.parts.reduce((n, p) => n + Buffer.byteLength(p.data), 0);

export interface JobBacklogLimits {
  /** Output characters kept while disconnected; beyond it the oldest output goes first. */
  readonly maxBytes: number;
  /** Frames kept while disconnected; beyond it the oldest output goes first. */
  readonly maxFrames: number;
}

/**
 * Job frames produced while the agent has no welcomed connection, kept in order for the next
 * one. Bounded by output size and frame count: the oldest output chunk is dropped first and
 * counted; `job.end` and `job.rejected` are never dropped (there is at most one per job, and
 * without it the collector would have to call the run lost).
 */
export class JobBacklog {
  readonly #limits: JobBacklogLimits;
  #frames: JobFrame[] = [];
  #bytes = 0;
  #outputs = 0;
  /** Output bytes dropped per job since the last drain. */
  readonly #droppedByJob = new Map<string, number>();
  #dropped = 0;

  constructor(limits: JobBacklogLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#frames.length;
  }

  /** Output characters held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Output chunks dropped since the agent started. */
  get dropped(): number {
    return this.#dropped;
  }

  push(frame: JobFrame): void {
    this.#frames.push(frame);
    if (frame.t === 'job.output') {
      this.#bytes += charsOf(frame);
      this.#outputs++;
    }
    while (
      this.#outputs > 0 &&
      (this.#bytes > this.#limits.maxBytes || this.#frames.length > this.#limits.maxFrames)
    ) {
      this.#dropOldestOutput();
    }
  }

  /** Ids of the jobs with frames held, in first-seen order. */
  jobIds(): string[] {
    return [...new Set(this.#frames.map((f) => f.jobId))];
  }

  /**
   * Everything held, and empties the backlog: each job's output merged into as few frames as
   * fit (so a reconnect does not send a burst of small frames), then its end; jobs in
   * first-seen order. A job that lost output gets a stderr note saying how much before its
   * first kept output, and its `job.end` says `truncated` with the bytes dropped.
   */
  drain(): JobFrame[] {
    const frames = this.#frames;
    const lost = new Map(this.#droppedByJob);
    this.#frames = [];
    this.#bytes = 0;
    this.#outputs = 0;
    this.#droppedByJob.clear();
    const byJob = new Map<string, JobFrame[]>();
    for (const frame of frames) {
      const list = byJob.get(frame.jobId) ?? [];
      list.push(frame);
      byJob.set(frame.jobId, list);
    }
    // A running job whose every held chunk was dropped still hears about it.
    for (const jobId of lost.keys()) if (!byJob.has(jobId)) byJob.set(jobId, []);
    const out: JobFrame[] = [];
    for (const [jobId, list] of byJob) {
      const bytes = lost.get(jobId);
      const parts = list.flatMap((f) => (f.t === 'job.output' ? f.parts : []));
      if (bytes !== undefined) parts.unshift(droppedNote(bytes));
      out.push(...merged(jobId, parts));
      for (const frame of list) {
        if (frame.t === 'job.output') continue;
        out.push(
          frame.t === 'job.end' && bytes !== undefined
            ? { ...frame, truncated: true, droppedBytes: (frame.droppedBytes ?? 0) + bytes }
            : frame,
        );
      }
    }
    return out;
  }

  #dropOldestOutput(): void {
    const index = this.#frames.findIndex((f) => f.t === 'job.output');
    const [frame] = this.#frames.splice(index, 1) as [PartsFrame];
    this.#bytes -= charsOf(frame);
    this.#outputs--;
    this.#dropped++;
    this.#droppedByJob.set(frame.jobId, (this.#droppedByJob.get(frame.jobId) ?? 0) + bytesOf(frame));
  }
}

/** Parts packed into frames of at most Limits.outputFrame characters and Limits.outputParts parts. */
function merged(jobId: string, parts: readonly PartsFrame['parts'][number][]): PartsFrame[] {
  const frames: PartsFrame[] = [];
  let current: PartsFrame['parts'] = [];
  let chars = 0;
  for (const part of parts) {
    if (
      current.length > 0 &&
      (chars + part.data.length > Limits.outputFrame || current.length >= Limits.outputParts)
    ) {
      frames.push({ t: 'job.output', jobId, parts: current });
      current = [];
      chars = 0;
    }
    const last = current[current.length - 1];
    if (last?.stream === part.stream && chars + part.data.length <= Limits.outputFrame)
      current[current.length - 1] = { stream: part.stream, data: last.data + part.data };
    else current.push(part);
    chars += part.data.length;
  }
  if (current.length > 0) frames.push({ t: 'job.output', jobId, parts: current });
  return frames;
}

function droppedNote(bytes: number): PartsFrame['parts'][number] {
  return {
    stream: 'stderr',
    data: `[pantau-agent: ${bytes} bytes of output dropped while disconnected from the collector]\n`,
  };
}
