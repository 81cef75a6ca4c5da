import type { JobEndFrame, JobOutputFrame, JobRejectedFrame } from '@pantau/shared/lite';

export type JobFrame = JobOutputFrame | JobEndFrame | JobRejectedFrame;

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
  /** Output characters dropped per job since the last drain. */
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
      this.#bytes += frame.data.length;
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
   * Everything held, oldest first, and empties the backlog. A job that lost output gets a
   * stderr note saying how much, before its first kept frame, and its `job.end` says `truncated`.
   */
  drain(): JobFrame[] {
    const frames = this.#frames;
    const lost = new Map(this.#droppedByJob);
    this.#frames = [];
    this.#bytes = 0;
    this.#outputs = 0;
    this.#droppedByJob.clear();
    if (lost.size === 0) return frames;
    const out: JobFrame[] = [];
    const cut = new Set<string>();
    for (const frame of frames) {
      const chars = lost.get(frame.jobId);
      if (chars !== undefined) {
        out.push(droppedNote(frame.jobId, chars));
        lost.delete(frame.jobId);
        cut.add(frame.jobId);
      }
      out.push(frame.t === 'job.end' && cut.has(frame.jobId) ? { ...frame, truncated: true } : frame);
    }
    // A running job whose every held chunk was dropped still hears about it.
    for (const [jobId, chars] of lost) out.push(droppedNote(jobId, chars));
    return out;
  }

  #dropOldestOutput(): void {
    const index = this.#frames.findIndex((f) => f.t === 'job.output');
    const [frame] = this.#frames.splice(index, 1) as [JobOutputFrame];
    this.#bytes -= frame.data.length;
    this.#outputs--;
    this.#dropped++;
    this.#droppedByJob.set(frame.jobId, (this.#droppedByJob.get(frame.jobId) ?? 0) + frame.data.length);
  }
}

function droppedNote(jobId: string, chars: number): JobOutputFrame {
  return {
    t: 'job.output',
    jobId,
    stream: 'stderr',
    data: `[pantau-agent: ${chars} characters of output dropped while disconnected from the collector]\n`,
  };
}
