import type { MonitorConfig } from './config.ts';
import { CONTAINER_RULES, containerRuleViews } from './containers.ts';
import type { NotifyPolicy } from './policy.ts';
import type { RuleRepo } from './rule-repo.ts';
import { resolveThresholdRule, type ThresholdRule, type ThresholdRuleInput } from './rules.ts';
import type { ChangeKind, Severity } from './signals.ts';

export const BUILT_IN_RULES = ['host-down', 'service-down'] as const;
/** Change events are rules too: silences can name them. */
export const CHANGE_RULES: readonly ChangeKind[] = ['new_port', 'reboot', 'agent_back', 'agent_version'];

const CHANGE_DESCRIPTIONS: Record<ChangeKind, string> = {
  new_port: 'a new listening port that lasts a port interval (loopback, ephemeral and ignored ports aside)',
  reboot: 'uptime went back',
  agent_back: 'the agent reconnected after a gap longer than the grace period',
  agent_version: 'the agent changed version',
};

/** One rule as people see it, whatever its source. */
export interface RuleView {
  id: string;
  source: 'builtin' | 'config' | 'api';
  kind: 'host_down' | 'service_down' | 'threshold' | 'change' | 'container';
  description: string;
  severity: Severity;
  enabled: boolean;
  policy: NotifyPolicy;
  /** Detection settings of a built-in rule (graceMs, silentIntervals, checkFailures, …). */
  settings: Record<string, number>;
  /** Host globs and labels a change rule applies to; null for the others (thresholds carry theirs). */
  scope: { hosts: string[]; labels: Record<string, string> } | null;
  threshold: {
    metric: ThresholdRule['metric'];
    above: number;
    forMs: number;
    hosts: string[];
    labels: Record<string, string>;
    mounts: string[];
  } | null;
  /** An API rule as it was sent; null for the others. */
  definition: ThresholdRuleInput | null;
}

/** Every rule the monitor runs: the built-ins, the config file's thresholds, the API's. */
export class RuleCatalog {
  readonly #config: MonitorConfig;
  readonly #store: RuleRepo;
  readonly #policy: (ruleId: string) => NotifyPolicy;

  constructor(config: MonitorConfig, store: RuleRepo, policy: (ruleId: string) => NotifyPolicy) {
    this.#config = config;
    this.#store = store;
    this.#policy = policy;
  }

  /** What the monitor evaluates. */
  thresholds(): ThresholdRule[] {
    return [
      ...this.#config.thresholds,
      ...this.#store.list().map((r) => resolveThresholdRule(r, this.#config.policy)),
    ];
  }

  list(): RuleView[] {
    return [
      ...this.#builtIns(),
      ...this.#config.thresholds.map((r) => this.#threshold(r, 'config', null)),
      ...this.#store.list().map((input) => this.view(input)),
    ];
  }

  view(input: ThresholdRuleInput): RuleView {
    return this.#threshold(resolveThresholdRule(input, this.#config.policy), 'api', input);
  }

  /** Why a rule cannot be changed through the API, or null when it can. */
  readOnly(id: string): string | null {
    if ((BUILT_IN_RULES as readonly string[]).includes(id) || CONTAINER_RULES.includes(id))
      return 'a built-in rule';
    if ((CHANGE_RULES as readonly string[]).includes(id))
      return 'a change rule, set under monitor.changes in the config';
    if (this.#config.thresholds.some((r) => r.id === id)) return 'a rule from the config file';
    return null;
  }

  known(id: string): boolean {
    return (
      (BUILT_IN_RULES as readonly string[]).includes(id) ||
      CONTAINER_RULES.includes(id) ||
      (CHANGE_RULES as readonly string[]).includes(id) ||
      this.#config.thresholds.some((r) => r.id === id) ||
      this.#store.get(id) !== undefined
    );
  }

  #threshold(rule: ThresholdRule, source: 'config' | 'api', definition: ThresholdRuleInput | null): RuleView {
    return {
      id: rule.id,
      source,
      kind: 'threshold',
      description: `${rule.metric} at or above ${rule.above} for ${rule.forMs / 1000} s`,
      severity: rule.severity,
      enabled: rule.enabled,
      policy: this.#policy(rule.id),
      settings: {},
      scope: null,
      threshold: {
        metric: rule.metric,
        above: rule.above,
        forMs: rule.forMs,
        hosts: [...rule.hosts],
        labels: { ...rule.labels },
        mounts: [...rule.mounts],
      },
      definition,
    };
  }

  #builtIns(): RuleView[] {
    const c = this.#config;
    return [
      {
        id: 'host-down',
        source: 'builtin',
        kind: 'host_down',
        description: 'the agent disconnected and did not come back within the grace period, or went silent',
        severity: 'critical',
        enabled: true,
        policy: this.#policy('host-down'),
        settings: {
          graceMs: c.graceMs,
          startupGraceMs: c.startupGraceMs,
          silentIntervals: c.silentIntervals,
        },
        scope: null,
        threshold: null,
        definition: null,
      },
      {
        id: 'service-down',
        source: 'builtin',
        kind: 'service_down',
        description: 'an agent-side check failed checkFailures times in a row',
        severity: 'critical',
        enabled: true,
        policy: this.#policy('service-down'),
        settings: { checkFailures: c.checkFailures },
        scope: null,
        threshold: null,
        definition: null,
      },
      ...CHANGE_RULES.map((kind): RuleView => {
        const rule = c.changes[kind];
        const port = kind === 'new_port' ? c.changes.new_port : undefined;
        return {
          id: kind,
          source: 'builtin',
          kind: 'change',
          description: CHANGE_DESCRIPTIONS[kind],
          severity: rule.severity,
          enabled: rule.enabled,
          policy: this.#policy(kind),
          settings: port
            ? {
                ignoreLoopback: Number(port.ignoreLoopback),
                ignoreEphemeral: Number(port.ignoreEphemeral),
                ignoreEntries: port.ignore.length,
              }
            : {},
          scope: { hosts: [...rule.hosts], labels: { ...rule.labels } },
          threshold: null,
          definition: null,
        };
      }),
      ...containerRuleViews(c.containers, this.#policy),
    ];
  }
}
