import { globMatch as matchGlob, parseDuration } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import { DurationText } from './duration-text.ts';
import { type NotifyPolicy, PolicyInput, resolvePolicy } from './policy.ts';
import type { HostRef, Severity } from './signals.ts';

export const ThresholdMetric = Type.Union([
  Type.Literal('cpu'),
  Type.Literal('memory'),
  Type.Literal('swap'),
  Type.Literal('disk'),
  Type.Literal('load'),
]);

/** A threshold rule as people write it (config file or API). */
export const ThresholdRuleInput = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', maxLength: 64 }),
    /** cpu, memory and swap are used %, disk is used % per mount, load is the 1-minute load average per core. */
    metric: ThresholdMetric,
    /** The limit: the rule fires at or above it. */
    above: Type.Number({ minimum: 0 }),
    /** How long the value must stay at or above the limit. Default "1m". */
    for: Type.Optional(DurationText),
    severity: Type.Optional(
      Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
    ),
    /** Host names the rule applies to (`*` matches any run of characters). Default: every host. */
    hosts: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 256 })),
    /** Labels a host must carry, all of them. */
    labels: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }))),
    /** Disk rules only: mount points to watch. Default: all. */
    mounts: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 256 })),
    enabled: Type.Optional(Type.Boolean()),
    /** Notification policy for this rule; defaults to the monitor's. */
    policy: Type.Optional(PolicyInput),
  },
  { additionalProperties: false },
);

export type ThresholdRuleInput = Static<typeof ThresholdRuleInput>;

export interface ThresholdRule {
  id: string;
  metric: Static<typeof ThresholdMetric>;
  above: number;
  forMs: number;
  severity: Severity;
  hosts: readonly string[];
  labels: Readonly<Record<string, string>>;
  mounts: readonly string[];
  enabled: boolean;
  /** Its own notification policy, when it has one. */
  policy: NotifyPolicy | undefined;
}

/** Sensible defaults; config and the API can replace or add to them. */
export const DEFAULT_THRESHOLD_RULES: readonly ThresholdRuleInput[] = [
  { id: 'cpu-high', metric: 'cpu', above: 95, for: '5m', severity: 'warning' },
  { id: 'memory-high', metric: 'memory', above: 90, for: '5m', severity: 'warning' },
  { id: 'swap-high', metric: 'swap', above: 80, for: '10m', severity: 'warning' },
  { id: 'disk-full', metric: 'disk', above: 90, for: '1m', severity: 'critical' },
  { id: 'load-high', metric: 'load', above: 4, for: '10m', severity: 'warning' },
];

export function resolveThresholdRule(input: ThresholdRuleInput, base?: NotifyPolicy): ThresholdRule {
  return Object.freeze({
    id: input.id,
    metric: input.metric,
    above: input.above,
    forMs: parseDuration(input.for ?? '1m'),
    severity: input.severity ?? 'warning',
    hosts: Object.freeze([...(input.hosts ?? [])]),
    labels: Object.freeze({ ...(input.labels ?? {}) }),
    mounts: Object.freeze([...(input.mounts ?? [])]),
    enabled: input.enabled ?? true,
    policy: input.policy ? resolvePolicy(input.policy, base) : undefined,
  });
}

/** Does a rule's selector (host names with `*`, and labels) pick this host? */
export function selects(rule: Pick<ThresholdRule, 'hosts' | 'labels'>, host: HostRef): boolean {
  if (rule.hosts.length > 0 && !rule.hosts.some((pattern) => globMatch(pattern, host.name))) return false;
  return Object.entries(rule.labels).every(([key, value]) => host.labels[key] === value);
}

/** Rule globs know only `*`; a `?` in a host name is itself. */
export function globMatch(pattern: string, text: string): boolean {
  return matchGlob(pattern, text, { anyChar: false });
}
