import { parseDuration } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import { type ChangeRules, ChangeRulesInput, resolveChangeRules } from './change-rules.ts';
import {
  type ContainerMonitorConfig,
  ContainerMonitorInput,
  resolveContainerMonitor,
} from './container-config.ts';
import { DurationText } from './duration-text.ts';
import { type NotifyPolicy, PolicyInput, resolvePolicy } from './policy.ts';
import {
  DEFAULT_THRESHOLD_RULES,
  resolveThresholdRule,
  type ThresholdRule,
  ThresholdRuleInput,
} from './rules.ts';

export const MonitorConfigInput = Type.Object(
  {
    /** A disconnected host is down after this long. Default "5s". */
    grace: Type.Optional(DurationText),
    /** After a collector restart, hosts that were online get this long to reconnect. Default "15s". */
    startupGrace: Type.Optional(DurationText),
    /** A connected host that sent nothing for this many intervals is down. Default 3. */
    silentIntervals: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })),
    /** Consecutive failed checks that make a service down. Default 2. */
    checkFailures: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Default notification policy for every rule. */
    policy: Type.Optional(PolicyInput),
    /** Policy per rule id, including the built-in `host-down` and `service-down`. */
    policies: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), PolicyInput)),
    /** Change events (new_port, reboot, agent_back, agent_version): on or off, severity, hosts; what a new port ignores. */
    changes: Type.Optional(ChangeRulesInput),
    /** Threshold rules; replaces the defaults when given (an empty list turns them off). */
    thresholds: Type.Optional(Type.Array(ThresholdRuleInput, { maxItems: 500 })),
    /** Which containers the container rules watch, restart loops, per-container limits. */
    containers: Type.Optional(ContainerMonitorInput),
  },
  { additionalProperties: false },
);

export type MonitorConfigInput = Static<typeof MonitorConfigInput>;

export interface MonitorConfig {
  graceMs: number;
  startupGraceMs: number;
  silentIntervals: number;
  checkFailures: number;
  policy: NotifyPolicy;
  policies: Readonly<Record<string, NotifyPolicy>>;
  thresholds: readonly ThresholdRule[];
  changes: ChangeRules;
  containers: ContainerMonitorConfig;
}

export function resolveMonitorConfig(input: MonitorConfigInput = {}): MonitorConfig {
  const policy = resolvePolicy(input.policy);
  const graceMs = input.grace ? parseDuration(input.grace) : 5_000;
  return Object.freeze({
    graceMs,
    startupGraceMs: input.startupGrace ? parseDuration(input.startupGrace) : Math.max(graceMs, 15_000),
    silentIntervals: input.silentIntervals ?? 3,
    checkFailures: input.checkFailures ?? 2,
    policy,
    policies: Object.freeze(
      Object.fromEntries(
        Object.entries(input.policies ?? {}).map(([id, p]) => [id, resolvePolicy(p, policy)]),
      ),
    ),
    thresholds: Object.freeze(
      (input.thresholds ?? DEFAULT_THRESHOLD_RULES).map((rule) => resolveThresholdRule(rule, policy)),
    ),
    changes: resolveChangeRules(input.changes),
    containers: resolveContainerMonitor(input.containers),
  });
}
