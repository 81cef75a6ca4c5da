import type { ActionParam, JobParams } from '@pantau/shared';
import type { Role } from '../access/roles.ts';
import type { Surface } from '../store/audit.ts';

/** What can be run: a built-in agent action or an admin-defined activity over an agent action. */
export interface Activity {
  id: string;
  name: string;
  description: string;
  /** The agent action it runs: a built-in action or an agent custom action. */
  action: string;
  /** Parameters always sent, whatever the caller gives. */
  fixed: Record<string, string | number>;
  /** Parameters the caller supplies, checked against these specs. */
  params: ActionParam[];
  dangerous: boolean;
  minRole: Role;
  builtin: boolean;
}

export const JOB_STATES = [
  'awaiting_confirmation',
  'awaiting_approval',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'expired',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const RUN_STATES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'rejected',
  'unreachable',
  'lost',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Run states that count against `stopAfterFailures` and make the job `failed`. */
export const FAILED_RUN_STATES: ReadonlySet<RunState> = new Set([
  'failed',
  'timed_out',
  'rejected',
  'unreachable',
  'lost',
]);

export const isRunFinal = (state: RunState): boolean => state !== 'queued' && state !== 'running';
export const isJobFinal = (state: JobState): boolean =>
  state !== 'awaiting_confirmation' && state !== 'awaiting_approval' && state !== 'running';

/** `10` hosts or `"10%"` of the targets. */
export type Amount = number | `${number}%`;

export interface Targets {
  hosts?: (number | string)[];
  selector?: string;
  all?: boolean;
}

export interface Job {
  id: number;
  activity: string;
  action: string;
  params: JobParams;
  targets: Targets;
  /** Audit id of who created it (`token:3`, `user:7`, `config`). */
  actor: string;
  actorName: string;
  surface: Surface;
  dangerous: boolean;
  state: JobState;
  createdAt: number;
  /** Deadline of the pending confirmation or approval. */
  decideBy: number | null;
  confirmedBy: string | null;
  approvedBy: string | null;
  cancelledBy: string | null;
  startedAt: number | null;
  endedAt: number | null;
  batch: Amount | null;
  stopAfterFailures: Amount | null;
  timeoutMs: number;
  counts: Partial<Record<RunState, number>>;
}

export interface Run {
  jobId: number;
  hostId: number;
  host: string;
  state: RunState;
  exitCode: number | null;
  signal: string | null;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  truncated: boolean;
  /** Output bytes not stored: dropped by the agent (cap, disconnect) or past the collector's cap. */
  droppedBytes: number;
  error: string | null;
}

export type JobEventType = 'job' | 'run' | 'output';

/** One entry of a job's history, as SSE sends it. */
export interface JobEvent {
  jobId: number;
  seq: number;
  at: number;
  type: JobEventType;
  hostId: number | null;
  data: unknown;
}

/** The id an agent knows a run by: one per job and host. */
export const protocolJobId = (jobId: number, hostId: number): string => `${jobId}:${hostId}`;

export function parseProtocolJobId(id: string): { jobId: number; hostId: number } | null {
  const m = /^(\d{1,15}):(\d{1,15})$/.exec(id);
  return m ? { jobId: Number(m[1]), hostId: Number(m[2]) } : null;
}

/** The `jobs` section of the collector's config (config/ composes it). */
export interface JobsConfig {
  /** Most hosts one job may target. Default 1000. */
  maxTargets: number;
  /** A dangerous job needs a second admin's approval after its confirmation. Default false. */
  fourEyes: boolean;
  /** Time to confirm (and to approve) a dangerous job before it expires, ms. Default 5 min. */
  confirmTimeout: number;
  /** Output kept per host run (stdout + stderr), bytes; the rest is dropped and the run marked truncated. Default 1048576 (1 MiB). */
  outputCap: number;
  /** A running host that disconnected and has not reported its job back within this time ends `lost`, ms. Default 60 s. */
  lostGrace: number;
  /** Per-host timeout of an activity running an agent custom action when the job gives none, ms. Default 5 min. */
  defaultTimeout: number;
  /** Ended jobs, their runs and output are deleted this long after they were created, ms. Default 90 d. */
  retention: number;
}
