import { JobParams } from '@pantau/shared';
import Type from 'typebox';
import { Nullable } from './schemas.ts';

export const JobStateSchema = Type.Union([
  Type.Literal('awaiting_confirmation'),
  Type.Literal('awaiting_approval'),
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
  Type.Literal('expired'),
]);
export const RunStateSchema = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('timed_out'),
  Type.Literal('cancelled'),
  Type.Literal('rejected'),
  Type.Literal('unreachable'),
  Type.Literal('lost'),
]);

export const Amount = Type.Union(
  [Type.Integer({ minimum: 1 }), Type.String({ pattern: '^([1-9][0-9]?|100)%$' })],
  { description: 'a number of hosts, or a percentage of the targets such as "10%"' },
);

export const Targets = Type.Object(
  {
    hosts: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Integer({ minimum: 1 }),
          Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.*?-]+$' }),
        ]),
        { minItems: 1, maxItems: 1000, description: 'host ids, names, or name globs such as web-*' },
      ),
    ),
    selector: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'labels that must all match: env=prod,role=db',
      }),
    ),
    all: Type.Optional(Type.Boolean({ description: 'every host' })),
  },
  { additionalProperties: false, description: 'the union of what is given' },
);

export const PreviewBody = Type.Object(
  {
    activity: Type.String({ minLength: 1, maxLength: 64 }),
    params: Type.Optional(JobParams),
    targets: Targets,
  },
  { additionalProperties: false },
);

export const JobBody = Type.Object(
  {
    ...PreviewBody.properties,
    batch: Type.Optional(Amount),
    stopAfterFailures: Type.Optional(Amount),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 86_400_000,
        description: "per host; default: the action's limit",
      }),
    ),
  },
  { additionalProperties: false },
);

export const PreviewResponse = Type.Object({
  hosts: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
  skipped: Type.Array(
    Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      reason: Type.Union([Type.Literal('offline'), Type.Literal('action-not-allowed')]),
      message: Type.String(),
    }),
  ),
});

export const RunItem = Type.Object({
  hostId: Type.Integer(),
  host: Type.String(),
  state: RunStateSchema,
  exitCode: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  startedAt: Nullable(Type.Integer()),
  endedAt: Nullable(Type.Integer()),
  durationMs: Nullable(Type.Integer()),
  truncated: Type.Boolean({ description: 'not all output was stored (cap, or dropped on the way)' }),
  droppedBytes: Type.Integer({
    description: 'output bytes not stored, counted by the agent and the collector',
  }),
  error: Nullable(Type.String({ description: 'why it did not succeed, when known' })),
});

export const JobItem = Type.Object({
  id: Type.Integer(),
  activity: Type.String(),
  action: Type.String(),
  params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Integer(), Type.Boolean()])),
  targets: Targets,
  actor: Type.String({ description: 'who created it, as in the audit log' }),
  actorName: Type.String(),
  surface: Type.String({ description: 'api, telegram, web, cli' }),
  dangerous: Type.Boolean(),
  state: JobStateSchema,
  createdAt: Type.Integer(),
  decideBy: Nullable(Type.Integer({ description: 'deadline of the pending confirmation or approval' })),
  confirmedBy: Nullable(Type.String({ description: 'actor id, as in the audit log' })),
  confirmedByName: Nullable(Type.String({ description: 'confirmedBy as people read it' })),
  approvedBy: Nullable(Type.String({ description: 'actor id, as in the audit log' })),
  approvedByName: Nullable(Type.String({ description: 'approvedBy as people read it' })),
  cancelledBy: Nullable(Type.String({ description: 'actor id, as in the audit log' })),
  cancelledByName: Nullable(Type.String({ description: 'cancelledBy as people read it' })),
  startedAt: Nullable(Type.Integer()),
  endedAt: Nullable(Type.Integer()),
  batch: Nullable(Amount),
  stopAfterFailures: Nullable(Amount),
  timeoutMs: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'runs per state' }),
});

export const JobDetail = Type.Object({ ...JobItem.properties, runs: Type.Array(RunItem) });

export const OutputChunk = Type.Object({
  seq: Type.Integer({ description: "its event id in the job's SSE stream" }),
  stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
  data: Type.String(),
  ts: Type.Integer(),
});

export const JobQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 128, description: 'e.g. token:3' })),
    activity: Type.Optional(Type.String({ maxLength: 64 })),
    host: Type.Optional(Type.Integer({ minimum: 1, description: 'jobs with a run on this host id' })),
    state: Type.Optional(JobStateSchema),
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'created at or after, ms since the epoch' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'created before, ms since the epoch' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'the `next` of the previous page' })),
  },
  { additionalProperties: false },
);

export const JobIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const RunParams = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  hostId: Type.Integer({ minimum: 1 }),
});
export const Format = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'json' })) },
  { additionalProperties: false },
);
export const RangeExportQuery = Type.Object(
  {
    from: Type.Integer({ minimum: 0, description: 'created at or after, ms since the epoch' }),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'created before; default now' })),
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'json' })),
  },
  { additionalProperties: false },
);
