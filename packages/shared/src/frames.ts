import Type, { type Static, type TSchema } from 'typebox';
import { type ErrorCode, ErrorCodes } from './errors.ts';
import { Limits } from './limits.ts';
import { Snapshot, SystemInfo } from './metrics.ts';

export { PROTOCOL_VERSION } from './wire.ts';

const strict = { additionalProperties: false } as const;
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const JobId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const ActionName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_.-]*$' });
const frame = <K extends string, P extends Record<string, TSchema>>(t: K, props: P) =>
  Type.Object({ t: Type.Literal(t), ...props }, strict);

export const ActionParam = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    kind: Type.Union([Type.Literal('enum'), Type.Literal('integer'), Type.Literal('regex')]),
    values: Type.Optional(Type.Array(Type.String({ maxLength: Limits.name }), { maxItems: 256 })),
    min: Type.Optional(Type.Integer()),
    max: Type.Optional(Type.Integer()),
    pattern: Type.Optional(Type.String({ maxLength: Limits.name })),
    required: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Union([Type.String({ maxLength: Limits.name }), Type.Integer()])),
    description: Type.Optional(Type.String({ maxLength: Limits.text })),
  },
  strict,
);

export const ActionSpec = Type.Object(
  {
    name: ActionName,
    description: Type.Optional(Type.String({ maxLength: Limits.text })),
    /** Dangerous actions (reboot, shutdown, upgrades) need the admin role to start. */
    dangerous: Type.Boolean(),
    params: Type.Array(ActionParam, { maxItems: Limits.params }),
  },
  strict,
);

export const JobParams = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: Limits.text }), Type.Integer(), Type.Boolean()]),
  { maxProperties: Limits.params },
);

/** Settings the collector pushes to the agent in `welcome`; each overrides the agent's own. */
export const AgentSettings = Type.Object(
  {
    intervalMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 3_600_000 })),
  },
  strict,
);

// agent → collector

export const HelloFrame = frame('hello', {
  protocol: Type.Integer({ minimum: 1, maximum: 65535 }),
  agentVersion: Type.String({ minLength: 1, maxLength: 64 }),
  system: SystemInfo,
  actions: Type.Array(ActionSpec, { maxItems: Limits.actions }),
  intervalMs: Type.Integer({ minimum: 1_000, maximum: 3_600_000 }),
  /** Job ids the agent still runs or holds undelivered results for (since 0.2; absent from older agents). */
  jobs: Type.Optional(Type.Array(JobId, { maxItems: 64 })),
  /**
   * Random per agent process (since 0.3): a new one means a new process, whose snapshot numbering
   * starts afresh. Absent from older agents.
   */
  bootId: Type.Optional(Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' })),
});

export const MetricsFrame = frame('metrics', { snapshot: Snapshot });

export const MetricsBatchFrame = frame('metrics.batch', {
  snapshots: Type.Array(Snapshot, { minItems: 1, maxItems: Limits.batchSnapshots }),
});

const OutputStream = Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]);

/** A run of output of one stream. */
export const OutputPart = Type.Object(
  { stream: OutputStream, data: Type.String({ minLength: 1, maxLength: Limits.outputFrame }) },
  strict,
);

/**
 * A job's output in the order it wrote it, both streams interleaved: at most
 * Limits.outputFrame characters over all parts. The single-stream form (`stream`, `data`) is
 * kept for agents that predate parts; the collector takes both.
 */
export const JobOutputFrame = Type.Union([
  frame('job.output', {
    jobId: JobId,
    parts: Type.Array(OutputPart, { minItems: 1, maxItems: Limits.outputParts }),
  }),
  frame('job.output', {
    jobId: JobId,
    stream: OutputStream,
    data: Type.String({ maxLength: Limits.outputChunk }),
  }),
]);

export const JobEndFrame = frame('job.end', {
  jobId: JobId,
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  signal: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
  durationMs: Type.Integer({ minimum: 0 }),
  /** Output went past the cap or was dropped; the rest was discarded. */
  truncated: Type.Boolean(),
  /** Output bytes the agent discarded (past its cap, or while disconnected); absent from older agents. */
  droppedBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  timedOut: Type.Boolean(),
  cancelled: Type.Boolean(),
  error: Type.Optional(Type.String({ maxLength: Limits.text })),
});

export const JobRejectedFrame = frame('job.rejected', {
  jobId: JobId,
  code: Type.Union([
    Type.Literal('ACTION_NOT_ALLOWED'),
    Type.Literal('INVALID_PARAMS'),
    Type.Literal('JOB_LIMIT'),
  ]),
  reason: Type.String({ maxLength: Limits.text }),
});

const ErrorCodeSchema = Type.Unsafe<ErrorCode>(
  Type.Union(Object.keys(ErrorCodes).map((code) => Type.Literal(code))),
);

export const ErrorFrame = frame('error', {
  code: ErrorCodeSchema,
  message: Type.String({ maxLength: Limits.text }),
});

// collector → agent

export const WelcomeFrame = frame('welcome', {
  protocol: Type.Integer({ minimum: 1, maximum: 65535 }),
  hostId: Type.String({ minLength: 1, maxLength: 64 }),
  hostName: Type.String({ minLength: 1, maxLength: Limits.name }),
  /** Highest sequence committed for this host; 0 when none. */
  lastSeq: Seq,
  serverTime: Type.Integer({ minimum: 0 }),
  settings: AgentSettings,
});

export const AckFrame = frame('ack', { seq: Seq });

export const JobStartFrame = frame('job.start', {
  jobId: JobId,
  action: ActionName,
  params: JobParams,
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 24 * 3_600_000 })),
});

export const JobCancelFrame = frame('job.cancel', { jobId: JobId });

export const AgentFrameSchemas = {
  hello: HelloFrame,
  metrics: MetricsFrame,
  'metrics.batch': MetricsBatchFrame,
  'job.output': JobOutputFrame,
  'job.end': JobEndFrame,
  'job.rejected': JobRejectedFrame,
  error: ErrorFrame,
} as const;

export const CollectorFrameSchemas = {
  welcome: WelcomeFrame,
  ack: AckFrame,
  'job.start': JobStartFrame,
  'job.cancel': JobCancelFrame,
  error: ErrorFrame,
} as const;

export type ActionParam = Static<typeof ActionParam>;
export type ActionSpec = Static<typeof ActionSpec>;
export type JobParams = Static<typeof JobParams>;
export type AgentSettings = Static<typeof AgentSettings>;
export type HelloFrame = Static<typeof HelloFrame>;
export type MetricsFrame = Static<typeof MetricsFrame>;
export type MetricsBatchFrame = Static<typeof MetricsBatchFrame>;
export type JobOutputFrame = Static<typeof JobOutputFrame>;
export type OutputPart = Static<typeof OutputPart>;

/** A job.output frame's output as parts, whichever form it came in. */
export function outputParts(frame: JobOutputFrame): OutputPart[] {
  return 'parts' in frame ? frame.parts : [{ stream: frame.stream, data: frame.data }];
}
export type JobEndFrame = Static<typeof JobEndFrame>;
export type JobRejectedFrame = Static<typeof JobRejectedFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type WelcomeFrame = Static<typeof WelcomeFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type JobStartFrame = Static<typeof JobStartFrame>;
export type JobCancelFrame = Static<typeof JobCancelFrame>;

export type AgentFrame = {
  [K in keyof typeof AgentFrameSchemas]: Static<(typeof AgentFrameSchemas)[K]>;
}[keyof typeof AgentFrameSchemas];
export type CollectorFrame = {
  [K in keyof typeof CollectorFrameSchemas]: Static<(typeof CollectorFrameSchemas)[K]>;
}[keyof typeof CollectorFrameSchemas];
export type AgentFrameKind = AgentFrame['t'];
export type CollectorFrameKind = CollectorFrame['t'];
