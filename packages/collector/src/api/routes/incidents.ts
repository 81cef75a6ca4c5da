import Type from 'typebox';
import type { Incident } from '../../monitor/incidents.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { IdParams, Nullable, withErrors } from '../schemas.ts';

export const IncidentKind = Type.Union([
  Type.Literal('host_down'),
  Type.Literal('service_down'),
  Type.Literal('threshold'),
  Type.Literal('container'),
  Type.Literal('change'),
]);

export const IncidentItem = Type.Object({
  id: Type.Integer(),
  kind: IncidentKind,
  ruleId: Type.String(),
  hostId: Type.Integer(),
  hostName: Nullable(Type.String({ description: 'null when the host was deleted since' })),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  title: Type.String(),
  detail: Type.String(),
  value: Nullable(Type.String({ description: 'latest value in words, e.g. "93.1 %"' })),
  status: Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]),
  openedAt: Type.Integer({ description: 'ms since the epoch' }),
  acknowledgedAt: Nullable(Type.Integer()),
  acknowledgedBy: Nullable(Type.String({ description: 'actor id, e.g. user:3' })),
  acknowledgedByName: Nullable(Type.String({ description: 'who acknowledged it, as people read it' })),
  resolvedAt: Nullable(Type.Integer()),
  resolvedBy: Nullable(Type.String({ description: '`auto` when the problem cleared, else who resolved it' })),
  resolvedByName: Nullable(Type.String({ description: 'resolvedBy as people read it' })),
  durationMs: Nullable(Type.Integer({ description: 'resolvedAt − openedAt, once resolved' })),
  notified: Type.Integer({ description: 'notifications sent about it' }),
  suppressed: Type.Integer({ description: 'notifications held back by silences or maintenance' }),
  nextNotifyAt: Nullable(Type.Integer({ description: 'next reminder, while open and not acknowledged' })),
  flappingSince: Nullable(
    Type.Integer({
      description: 'since when the problem flaps (cleared and failed again within the flap window)',
    }),
  ),
  silencedUntil: Nullable(
    Type.Integer({ description: 'end of the silence or maintenance window holding its notices back now' }),
  ),
});

export const IncidentDetail = Type.Object({
  ...IncidentItem.properties,
  events: Type.Array(
    Type.Object({
      at: Type.Integer(),
      type: Type.String({
        description:
          'opened, notified:<type>, unnotified (no recipient), suppressed, acknowledged, flapping, flapped, resolved, change',
      }),
      actor: Nullable(Type.String()),
      actorName: Nullable(Type.String({ description: 'actor as people read it' })),
      detail: Nullable(Type.String()),
    }),
  ),
});

const ListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union(
        [
          Type.Literal('open'),
          Type.Literal('acknowledged'),
          Type.Literal('resolved'),
          Type.Literal('active'),
        ],
        { description: '`active` is open or acknowledged' },
      ),
    ),
    hostId: Type.Optional(Type.Integer({ minimum: 1 })),
    kind: Type.Optional(IncidentKind),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'continue below this id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);

/** Incidents: list and filter, one with its timeline, acknowledge, resolve by hand. */
export async function incidentRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { store, alerting } = ctx;
  const people = ctx.access.names;
  const incidents = alerting.monitor.incidents;
  const commands = alerting.commands.incidents;
  const tags = ['incidents'];

  const view = (i: Incident, names: Map<number, string | null> = new Map()) => {
    if (!names.has(i.hostId)) names.set(i.hostId, store.hosts.get(i.hostId)?.name ?? null);
    return {
      id: i.id,
      kind: i.kind,
      ruleId: i.ruleId,
      hostId: i.hostId,
      hostName: names.get(i.hostId) ?? null,
      severity: i.severity,
      title: i.title,
      detail: i.detail,
      value: i.value,
      status: i.status,
      openedAt: i.openedAt,
      acknowledgedAt: i.acknowledgedAt,
      acknowledgedBy: i.acknowledgedBy,
      acknowledgedByName: people.maybe(i.acknowledgedBy),
      resolvedAt: i.resolvedAt,
      resolvedBy: i.resolvedBy,
      resolvedByName: people.maybe(i.resolvedBy),
      durationMs: i.resolvedAt === null ? null : i.resolvedAt - i.openedAt,
      notified: i.notified,
      suppressed: i.suppressed,
      nextNotifyAt: i.nextNotifyAt,
      flappingSince: i.flappingSince,
      silencedUntil: i.status === 'resolved' ? null : incidents.silencedUntil(i, ctx.time.now()),
    };
  };

  app.get(
    '/incidents',
    {
      config: { permission: 'incidents.read' },
      schema: {
        tags,
        summary: 'List incidents, newest first',
        querystring: ListQuery,
        response: withErrors({
          200: Type.Object({
            items: Type.Array(IncidentItem),
            next: Nullable(Type.Integer({ description: 'pass as `before` for the next page' })),
          }),
        }),
      },
    },
    async (req) => {
      const { status, hostId, kind, before } = req.query;
      const limit = req.query.limit ?? 50;
      const found = incidents.list({
        status,
        kind,
        before,
        limit,
        hostId,
      });
      const names = new Map<number, string | null>();
      return {
        items: found.map((i) => view(i, names)),
        next: found.length === limit ? found.at(-1)!.id : null,
      };
    },
  );

  app.get(
    '/incidents/:id',
    {
      config: { permission: 'incidents.read' },
      schema: {
        tags,
        summary: 'One incident with its timeline',
        params: IdParams,
        response: withErrors({ 200: IncidentDetail }),
      },
    },
    async (req) => ({
      ...view(commands.get(actorOf(req), req.params.id)),
      events: incidents.events(req.params.id).map((e) => ({ ...e, actorName: people.maybe(e.actor) })),
    }),
  );

  app.post(
    '/incidents/:id/ack',
    {
      config: { permission: 'incidents.ack' },
      schema: {
        tags,
        summary: 'Acknowledge: reminders stop. Acknowledging twice is harmless; a resolved incident is a 409',
        params: IdParams,
        response: withErrors({ 200: IncidentItem }),
      },
    },
    async (req) => view(commands.acknowledge(actorOf(req), req.params.id)),
  );

  app.post(
    '/incidents/:id/resolve',
    {
      config: { permission: 'incidents.ack' },
      schema: {
        tags,
        summary:
          'Resolve by hand; a problem that persists opens a new incident once it clears and fails again',
        params: IdParams,
        response: withErrors({ 200: IncidentItem }),
      },
    },
    async (req) => view(commands.resolve(actorOf(req), req.params.id)),
  );
}
