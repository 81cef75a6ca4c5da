import { parseDuration } from '@pantau/shared';
import Type from 'typebox';
import { DurationText } from '../../monitor/duration-text.ts';
import type { Silence } from '../../monitor/silences.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { IdParams, Nullable, withErrors } from '../schemas.ts';

const SilenceKind = Type.Union([Type.Literal('silence'), Type.Literal('maintenance')]);

export const SilenceItem = Type.Object({
  id: Type.Integer(),
  kind: SilenceKind,
  hostId: Nullable(Type.Integer()),
  host: Nullable(Type.String({ description: 'a host name glob (web-*) it covers, hosts added later too' })),
  label: Nullable(Type.Object({ key: Type.String(), value: Type.String() })),
  ruleId: Nullable(Type.String()),
  incidentId: Nullable(Type.Integer()),
  startsAt: Type.Integer({ description: 'ms since the epoch' }),
  endsAt: Type.Integer({ description: 'ms since the epoch' }),
  active: Type.Boolean({ description: 'holding back notifications right now' }),
  reason: Type.String(),
  createdBy: Type.String({ description: 'actor id, e.g. user:3' }),
  createdByName: Type.String({ description: 'who made it, as people read it' }),
  createdAt: Type.Integer(),
  suppressed: Type.Integer({ description: 'notifications it held back so far' }),
});

const LabelMatcher = Type.Union(
  [
    Type.String({ pattern: '^[^=]+=.*$', maxLength: 320, description: 'key=value' }),
    Type.Object(
      { key: Type.String({ minLength: 1, maxLength: 64 }), value: Type.String({ maxLength: 256 }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'a host label, as "key=value" or { key, value }' },
);

const Matchers = {
  hostId: Type.Optional(Type.Integer({ minimum: 1, description: 'only this host' })),
  host: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'a host name (stored as its hostId) or a glob over names such as web-*',
    }),
  ),
  label: Type.Optional(LabelMatcher),
  ruleId: Type.Optional(
    Type.String({ maxLength: 64, description: 'only this rule, e.g. host-down or a threshold rule id' }),
  ),
  all: Type.Optional(
    Type.Boolean({ description: 'true to match everything; required when no other matcher is given' }),
  ),
};

const SilenceBody = Type.Object(
  {
    ...Matchers,
    incidentId: Type.Optional(Type.Integer({ minimum: 1, description: 'only this incident' })),
    /** From now, e.g. "1h"; or give `until`. */
    duration: Type.Optional(DurationText),
    until: Type.Optional(Type.Integer({ minimum: 0, description: 'end, ms since the epoch' })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const MaintenanceBody = Type.Object(
  {
    ...Matchers,
    startsAt: Type.Integer({ minimum: 0, description: 'ms since the epoch' }),
    endsAt: Type.Integer({ minimum: 0, description: 'ms since the epoch; at most 30 days after startsAt' }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

/** Silences (from now until a time) and maintenance windows (scheduled): list, create, end. */
export async function silenceRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const commands = ctx.alerting.commands.silences;
  const tags = ['silences'];

  const view = (s: Silence, now = ctx.time.now()) => ({
    id: s.id,
    kind: s.kind,
    hostId: s.hostId,
    host: s.hostPattern,
    label: s.labelKey === null ? null : { key: s.labelKey, value: s.labelValue ?? '' },
    ruleId: s.ruleId,
    incidentId: s.incidentId,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    active: s.startsAt <= now && now < s.endsAt,
    reason: s.reason,
    createdBy: s.createdBy,
    createdByName: ctx.access.names.nameOf(s.createdBy),
    createdAt: s.createdAt,
    suppressed: s.suppressed,
  });

  app.get(
    '/silences',
    {
      config: { permission: 'incidents.read' },
      schema: {
        tags,
        summary:
          'Silences and maintenance windows not yet ended (scheduled ones too), with what they held back',
        querystring: Type.Object({ kind: Type.Optional(SilenceKind) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(SilenceItem) }) }),
      },
    },
    async (req) => {
      const now = ctx.time.now();
      const kind = req.query.kind;
      const items = commands.list(actorOf(req)).filter((s) => kind === undefined || s.kind === kind);
      return { items: items.map((s) => view(s, now)) };
    },
  );

  app.post(
    '/silences',
    {
      config: { permission: 'silences.manage' },
      schema: {
        tags,
        summary: 'Silence notifications from now for a duration or until a time (detection goes on)',
        body: SilenceBody,
        response: withErrors({ 201: SilenceItem }),
      },
    },
    async (req, reply) => {
      const { duration } = req.body;
      const silence = commands.silence(actorOf(req), {
        ...req.body,
        durationMs: duration === undefined ? undefined : parseDuration(duration),
      });
      return reply.code(201).send(view(silence));
    },
  );

  app.post(
    '/maintenance',
    {
      config: { permission: 'maintenance.manage' },
      schema: {
        tags,
        summary: 'Schedule a maintenance window: notifications are held back from startsAt to endsAt',
        body: MaintenanceBody,
        response: withErrors({ 201: SilenceItem }),
      },
    },
    async (req, reply) => reply.code(201).send(view(commands.maintenance(actorOf(req), req.body))),
  );

  app.delete(
    '/silences/:id',
    {
      config: { permission: 'silences.manage' },
      schema: {
        tags,
        summary: 'End a silence or maintenance window now (a scheduled one is cancelled)',
        params: IdParams,
        response: withErrors({ 200: SilenceItem }),
      },
    },
    async (req) => view(commands.end(actorOf(req), req.params.id)),
  );
}
