import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import { ThresholdMetric, ThresholdRuleInput } from '../../monitor/rules.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { Nullable, withErrors } from '../schemas.ts';

const Policy = Type.Object({
  repeatMs: Type.Integer({ description: 'first reminder this long after the opening message' }),
  backoff: Type.Number({ description: 'each further reminder waits this many times longer' }),
  maxRepeatMs: Type.Integer({ description: 'longest wait between reminders' }),
  flapOpenings: Type.Integer({ description: 'openings within flapWindowMs that make a problem flapping' }),
  flapWindowMs: Type.Integer(),
});

const RuleItem = Type.Object({
  id: Type.String(),
  source: Type.Union([Type.Literal('builtin'), Type.Literal('config'), Type.Literal('api')], {
    description: 'only `api` rules can be changed through the API',
  }),
  kind: Type.Union([
    Type.Literal('host_down'),
    Type.Literal('service_down'),
    Type.Literal('threshold'),
    Type.Literal('change'),
    Type.Literal('container'),
  ]),
  description: Type.String(),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  enabled: Type.Boolean(),
  policy: Policy,
  settings: Type.Record(Type.String(), Type.Number(), {
    description:
      'detection settings of a built-in rule (graceMs, silentIntervals, checkFailures; for new_port ignoreLoopback and ignoreEphemeral as 1/0, ignoreEntries, …)',
  }),
  scope: Nullable(
    Type.Object(
      { hosts: Type.Array(Type.String()), labels: Type.Record(Type.String(), Type.String()) },
      { description: 'hosts (globs) and labels a change rule applies to; empty: every host' },
    ),
  ),
  threshold: Nullable(
    Type.Object({
      metric: ThresholdMetric,
      above: Type.Number(),
      forMs: Type.Integer(),
      hosts: Type.Array(Type.String()),
      labels: Type.Record(Type.String(), Type.String()),
      mounts: Type.Array(Type.String()),
    }),
  ),
  /** An API rule as it was sent; null for the others. */
  definition: Nullable(ThresholdRuleInput),
});

const RuleParams = Type.Object({ id: ThresholdRuleInput.properties.id });
const RuleBody = Type.Object(
  { ...ThresholdRuleInput.properties, id: Type.Optional(ThresholdRuleInput.properties.id) },
  { additionalProperties: false },
);

/** Alert rules: built-in and config rules to read, threshold rules added through the API to change. */
export async function ruleRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { rules } = ctx.alerting.commands;
  const tags = ['rules'];

  app.get(
    '/rules',
    {
      config: { permission: 'rules.read' },
      schema: {
        tags,
        summary: 'Built-in, config and API rules with their effective notification policy',
        response: withErrors({ 200: Type.Object({ items: Type.Array(RuleItem) }) }),
      },
    },
    async (req) => ({ items: rules.list(actorOf(req)) }),
  );

  app.put(
    '/rules/:id',
    {
      config: { permission: 'rules.manage' },
      schema: {
        tags,
        summary: 'Create or replace a threshold rule (built-in and config rules are read-only)',
        params: RuleParams,
        body: RuleBody,
        response: withErrors({ 200: RuleItem, 201: RuleItem }),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      if (req.body.id !== undefined && req.body.id !== id) {
        throw new PantauError(
          'VALIDATION_FAILED',
          `body.id "${req.body.id}" differs from the path's "${id}"`,
        );
      }
      const { rule, created } = rules.save(actorOf(req), { ...req.body, id });
      return reply.code(created ? 201 : 200).send(rule);
    },
  );

  app.delete(
    '/rules/:id',
    {
      config: { permission: 'rules.manage' },
      schema: {
        tags,
        summary: 'Delete a threshold rule added through the API; its open incidents resolve',
        params: RuleParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      rules.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
