import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import {
  resolveThresholdRule,
  ThresholdMetric,
  type ThresholdRule,
  ThresholdRuleInput,
} from '../../monitor/rules.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { Nullable, withErrors } from '../schemas.ts';

const BUILT_IN = ['host-down', 'service-down'] as const;

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
  kind: Type.Union([Type.Literal('host_down'), Type.Literal('service_down'), Type.Literal('threshold')]),
  description: Type.String(),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  enabled: Type.Boolean(),
  policy: Policy,
  settings: Type.Record(Type.String(), Type.Number(), {
    description: 'detection settings of a built-in rule (graceMs, silentIntervals, checkFailures, …)',
  }),
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
  const { store, alerting, config } = ctx;
  const { monitor } = alerting;
  const tags = ['rules'];

  const threshold = (
    rule: ThresholdRule,
    source: 'config' | 'api',
    definition: ThresholdRuleInput | null,
  ) => ({
    id: rule.id,
    source,
    kind: 'threshold' as const,
    description: `${rule.metric} at or above ${rule.above} for ${rule.forMs / 1000} s`,
    severity: rule.severity,
    enabled: rule.enabled,
    policy: monitor.policy(rule.id),
    settings: {} as Record<string, number>,
    threshold: {
      metric: rule.metric,
      above: rule.above,
      forMs: rule.forMs,
      hosts: [...rule.hosts],
      labels: { ...rule.labels },
      mounts: [...rule.mounts],
    },
    definition,
  });
  const builtIns = () => [
    {
      id: 'host-down',
      source: 'builtin' as const,
      kind: 'host_down' as const,
      description: 'the agent disconnected and did not come back within the grace period, or went silent',
      severity: 'critical' as const,
      enabled: true,
      policy: monitor.policy('host-down'),
      settings: {
        graceMs: config.monitor.graceMs,
        startupGraceMs: config.monitor.startupGraceMs,
        silentIntervals: config.monitor.silentIntervals,
      } as Record<string, number>,
      threshold: null,
      definition: null,
    },
    {
      id: 'service-down',
      source: 'builtin' as const,
      kind: 'service_down' as const,
      description: 'an agent-side check failed checkFailures times in a row',
      severity: 'critical' as const,
      enabled: true,
      policy: monitor.policy('service-down'),
      settings: { checkFailures: config.monitor.checkFailures } as Record<string, number>,
      threshold: null,
      definition: null,
    },
  ];
  const apiRule = (id: string) => alerting.apiRules().find((r) => r.id === id);
  const readOnly = (id: string) => {
    if ((BUILT_IN as readonly string[]).includes(id)) return 'a built-in rule';
    if (config.monitor.thresholds.some((r) => r.id === id)) return 'a rule from the config file';
    return null;
  };
  const view = (input: ThresholdRuleInput) =>
    threshold(resolveThresholdRule(input, config.monitor.policy), 'api', input);

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
    async () => ({
      items: [
        ...builtIns(),
        ...config.monitor.thresholds.map((r) => threshold(r, 'config', null)),
        ...alerting.apiRules().map(view),
      ],
    }),
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
      const taken = readOnly(id);
      if (taken) throw new PantauError('CONFLICT', `rule ${id} is ${taken} and cannot be changed here`);
      const existed = apiRule(id) !== undefined;
      const input: ThresholdRuleInput = { ...req.body, id };
      alerting.saveRule(input, req.principal!.actor);
      store.audit.record(req.principal!.actor, existed ? 'rule.replace' : 'rule.create', `rule:${id}`, {
        definition: input,
      });
      return reply.code(existed ? 200 : 201).send(view(input));
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
      const { id } = req.params;
      const taken = readOnly(id);
      if (taken) throw new PantauError('CONFLICT', `rule ${id} is ${taken} and cannot be deleted here`);
      if (!alerting.deleteRule(id)) throw new PantauError('NOT_FOUND', `no API rule with id ${id}`);
      store.audit.record(req.principal!.actor, 'rule.delete', `rule:${id}`);
      return reply.code(204).send(null);
    },
  );
}
