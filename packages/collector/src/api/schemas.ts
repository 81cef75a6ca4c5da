import {
  CheckResult,
  CollectorError,
  Container,
  Disk,
  NetInterface,
  Port,
  Processes,
  SystemInfo,
} from '@pantau/shared';
import Type, { type TSchema } from 'typebox';
import { HOST_NAME_RULE } from '../fleet/hosts.ts';
import { LABEL_RULES } from '../fleet/labels.ts';
import { ErrorResponse, RULE } from './errors.ts';

// Host names and labels by the fleet's own rules: a value the commands refuse is refused here
// first, in the same words (the error handler says a failing schema's RULE).
export const HostName = Type.String({
  pattern: HOST_NAME_RULE.pattern,
  [RULE]: HOST_NAME_RULE.rule,
  description: `a host name; it ${HOST_NAME_RULE.rule}`,
});
export const Labels = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: { pattern: LABEL_RULES.key.pattern, [RULE]: LABEL_RULES.key.rule },
  additionalProperties: {
    type: 'string',
    maxLength: LABEL_RULES.value.maxLength,
    pattern: LABEL_RULES.value.pattern,
    [RULE]: LABEL_RULES.value.rule,
  },
  maxProperties: LABEL_RULES.maxLabels,
  description: 'key → value',
});
export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const Role = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]);

export const PageQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'continue after this id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export const page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    next: Type.Union([Type.Integer(), Type.Null()], { description: 'pass as `after` for the next page' }),
  });

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const CoreNumbers = Type.Record(Type.String(), Type.Number(), {
  description: 'metric name → latest value in its unit (see GET /api/v1/metrics)',
});

export const HostSummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  status: Type.Union([Type.Literal('new'), Type.Literal('online'), Type.Literal('offline')]),
  statusSince: Nullable(Type.Integer()),
  lastSeen: Nullable(Type.Integer({ description: 'ms since the epoch' })),
  agentVersion: Nullable(Type.String()),
  latest: Nullable(Type.Object({ ts: Type.Integer(), metrics: CoreNumbers })),
});

export const HostDetail = Type.Object({
  ...HostSummary.properties,
  createdAt: Type.Integer(),
  lastSeq: Type.Integer(),
  intervalMs: Nullable(Type.Integer()),
  system: Nullable(SystemInfo),
  actions: Type.Array(Type.Object({ name: Type.String(), dangerous: Type.Boolean() })),
  tokenChangedAt: Nullable(Type.Integer()),
});

export const AgentTokenResponse = Type.Object({
  host: HostDetail,
  token: Type.String({ description: 'the agent token; shown only now' }),
  install: Type.String({ description: 'one line that installs the agent on the host' }),
});

const area = <T extends TSchema>(data: T) => Nullable(Type.Object({ ts: Type.Integer(), data }));

export const LatestResponse = Type.Object({
  hostId: Type.Integer(),
  ts: Type.Integer({ description: 'time of the latest snapshot' }),
  metrics: CoreNumbers,
  uptime: Nullable(Type.Number({ description: 'seconds' })),
  cpuCores: Nullable(Type.Array(Type.Number())),
  net: area(Type.Array(NetInterface)),
  disks: area(Type.Array(Disk)),
  processes: area(Processes),
  ports: area(Type.Array(Port)),
  checks: area(Type.Array(CheckResult)),
  containers: area(Type.Array(Container)),
  system: area(SystemInfo),
  errors: area(Type.Array(CollectorError)),
});

export const AreaResponse = <T extends TSchema>(data: T) =>
  Type.Object({ hostId: Type.Integer(), ts: Nullable(Type.Integer()), data: Nullable(data) });

export const UserStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('active'),
  Type.Literal('disabled'),
]);

export const User = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  email: Nullable(Type.String()),
  role: Role,
  status: UserStatus,
  telegramId: Nullable(Type.Integer({ description: 'Telegram user id (from.id)' })),
  telegramChatId: Nullable(Type.Integer({ description: 'private chat the bot reaches them in' })),
  hasPassword: Type.Boolean({ description: 'whether a web login is set' }),
  approvedBy: Nullable(Type.String({ description: 'audit id of who approved or created them' })),
  approvedAt: Nullable(Type.Integer()),
  rejectedAt: Nullable(Type.Integer({ description: 'set when an admin rejected their application' })),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

export const Surface = Type.Union([
  Type.Literal('api'),
  Type.Literal('telegram'),
  Type.Literal('web'),
  Type.Literal('cli'),
  Type.Literal('system'),
]);

export const Password = Type.String({ minLength: 1, maxLength: 1024, description: 'at least 10 characters' });

export const ApiToken = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: Role,
  userId: Nullable(Type.Integer()),
  createdAt: Type.Integer(),
  lastUsedAt: Nullable(Type.Integer()),
  revokedAt: Nullable(Type.Integer()),
});

/** Adds the shared error shape to a route's responses (documentation and serialization). */
export function withErrors<R extends Record<string, TSchema>>(responses: R) {
  return { ...responses, '4xx': ErrorResponse, '5xx': ErrorResponse };
}
