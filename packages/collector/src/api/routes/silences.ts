import { PantauError, parseDuration } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import { DurationText } from '../../monitor/duration-text.ts';
import type { Silence } from '../../monitor/silences.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { IdParams, Nullable, withErrors } from '../schemas.ts';

/** Longest maintenance window. */
const MAX_WINDOW_MS = 30 * 86_400_000;

const SilenceKind = Type.Union([Type.Literal('silence'), Type.Literal('maintenance')]);

export const SilenceItem = Type.Object({
  id: Type.Integer(),
  kind: SilenceKind,
  hostId: Nullable(Type.Integer()),
  label: Nullable(Type.Object({ key: Type.String(), value: Type.String() })),
  ruleId: Nullable(Type.String()),
  incidentId: Nullable(Type.Integer()),
  startsAt: Type.Integer({ description: 'ms since the epoch' }),
  endsAt: Type.Integer({ description: 'ms since the epoch' }),
  active: Type.Boolean({ description: 'holding back notifications right now' }),
  reason: Type.String(),
  createdBy: Type.String(),
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

type MatcherInput = Partial<
  Pick<Static<typeof SilenceBody>, 'hostId' | 'label' | 'ruleId' | 'all' | 'incidentId'>
>;

function invalid(message: string): never {
  throw new PantauError('VALIDATION_FAILED', message);
}

/** Silences (from now until a time) and maintenance windows (scheduled): list, create, end. */
export async function silenceRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { store, alerting, config } = ctx;
  const { silences, incidents } = alerting.monitor;
  const tags = ['silences'];

  const view = (s: Silence, now = Date.now()) => ({
    id: s.id,
    kind: s.kind,
    hostId: s.hostId === null ? null : Number(s.hostId),
    label: s.labelKey === null ? null : { key: s.labelKey, value: s.labelValue ?? '' },
    ruleId: s.ruleId,
    incidentId: s.incidentId,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    active: s.startsAt <= now && now < s.endsAt,
    reason: s.reason,
    createdBy: s.createdBy,
    createdAt: s.createdAt,
    suppressed: s.suppressed,
  });

  const knownRule = (id: string) =>
    id === 'host-down' ||
    id === 'service-down' ||
    ['new_port', 'reboot', 'agent_back', 'agent_version'].includes(id) ||
    config.monitor.thresholds.some((r) => r.id === id) ||
    alerting.apiRules().some((r) => r.id === id);

  /** Checks the matchers and turns them into the store's shape. */
  const matchers = (body: MatcherInput) => {
    const given = [body.hostId, body.label, body.ruleId, body.incidentId].some((m) => m !== undefined);
    if (body.all === true && given)
      invalid('body.all cannot be combined with hostId, label, ruleId or incidentId');
    if (body.all !== true && !given) {
      invalid('body needs a matcher (hostId, label, ruleId or incidentId), or all: true to match everything');
    }
    if (body.hostId !== undefined && !store.hosts.get(body.hostId)) {
      throw new PantauError('NOT_FOUND', `body.hostId: no host with id ${body.hostId}`);
    }
    if (body.incidentId !== undefined && !incidents.get(body.incidentId)) {
      throw new PantauError('NOT_FOUND', `body.incidentId: no incident with id ${body.incidentId}`);
    }
    if (body.ruleId !== undefined && !knownRule(body.ruleId)) {
      throw new PantauError(
        'NOT_FOUND',
        `body.ruleId: no rule with id ${body.ruleId} (GET /api/v1/rules lists them)`,
      );
    }
    let label: { key: string; value: string } | undefined;
    if (typeof body.label === 'string') {
      const i = body.label.indexOf('=');
      label = { key: body.label.slice(0, i), value: body.label.slice(i + 1) };
    } else {
      label = body.label;
    }
    return {
      hostId: body.hostId === undefined ? undefined : String(body.hostId),
      label,
      ruleId: body.ruleId,
      incidentId: body.incidentId,
    };
  };

  app.get(
    '/silences',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        summary:
          'Silences and maintenance windows not yet ended (scheduled ones too), with what they held back',
        querystring: Type.Object({ kind: Type.Optional(SilenceKind) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(SilenceItem) }) }),
      },
    },
    async (req) => {
      const now = Date.now();
      const kind = req.query.kind;
      const items = silences.list(now).filter((s) => kind === undefined || s.kind === kind);
      return { items: items.map((s) => view(s, now)) };
    },
  );

  app.post(
    '/silences',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Silence notifications from now for a duration or until a time (detection goes on)',
        body: SilenceBody,
        response: withErrors({ 201: SilenceItem }),
      },
    },
    async (req, reply) => {
      const now = Date.now();
      const { duration, until, reason } = req.body;
      if ((duration === undefined) === (until === undefined)) {
        invalid('body needs exactly one of duration (e.g. "1h") or until (ms since the epoch)');
      }
      const endsAt = duration === undefined ? until! : now + parseDuration(duration);
      if (duration !== undefined && endsAt <= now) invalid('body.duration must be longer than 0');
      if (endsAt <= now) invalid('body.until must be in the future');
      const silence = silences.create(
        {
          kind: 'silence',
          ...matchers(req.body),
          startsAt: now,
          endsAt,
          reason,
          createdBy: req.principal!.actor,
        },
        now,
      );
      store.audit.record(req.principal!.actor, 'silence.create', `silence:${silence.id}`, { ...req.body });
      return reply.code(201).send(view(silence, now));
    },
  );

  app.post(
    '/maintenance',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Schedule a maintenance window: notifications are held back from startsAt to endsAt',
        body: MaintenanceBody,
        response: withErrors({ 201: SilenceItem }),
      },
    },
    async (req, reply) => {
      const now = Date.now();
      const { startsAt, endsAt, reason } = req.body;
      if (endsAt <= startsAt) invalid('body.endsAt must be after body.startsAt');
      if (endsAt - startsAt > MAX_WINDOW_MS) invalid('body.endsAt is more than 30 days after body.startsAt');
      if (endsAt <= now) invalid('body.endsAt is in the past');
      const window = silences.create(
        {
          kind: 'maintenance',
          ...matchers(req.body),
          startsAt,
          endsAt,
          reason,
          createdBy: req.principal!.actor,
        },
        now,
      );
      store.audit.record(req.principal!.actor, 'maintenance.create', `silence:${window.id}`, { ...req.body });
      return reply.code(201).send(view(window, now));
    },
  );

  app.delete(
    '/silences/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'End a silence or maintenance window now (a scheduled one is cancelled)',
        params: IdParams,
        response: withErrors({ 200: SilenceItem }),
      },
    },
    async (req) => {
      const now = Date.now();
      const silence = silences.get(req.params.id);
      if (!silence) throw new PantauError('NOT_FOUND', `no silence with id ${req.params.id}`);
      if (silence.endsAt <= now) throw new PantauError('CONFLICT', `silence ${silence.id} has ended already`);
      silences.end(silence.id, now);
      store.audit.record(req.principal!.actor, `${silence.kind}.end`, `silence:${silence.id}`);
      return view(silences.get(silence.id)!, now);
    },
  );
}
