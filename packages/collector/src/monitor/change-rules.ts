import type { Port } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import { selects } from './rules.ts';
import type { ChangeKind, HostRef, Severity } from './signals.ts';

const SeverityInput = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const HostGlobs = Type.Array(Type.String({ maxLength: 256 }), { maxItems: 256 });
const Labels = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }));

/** The controls every change event has, as people write them (config file). */
const changeRuleFields = {
  /** Off: the change is never reported. Default true. */
  enabled: Type.Optional(Type.Boolean()),
  /** Severity of its messages. Default: warning for new_port and reboot, info for the others. */
  severity: Type.Optional(SeverityInput),
  /** Host names it applies to (`*` matches any run of characters). Default: every host. */
  hosts: Type.Optional(HostGlobs),
  /** Labels a host must carry, all of them. */
  labels: Type.Optional(Labels),
};

export const ChangeRuleInput = Type.Object(changeRuleFields, { additionalProperties: false });

/** Ports or programs a new listening port is not news for, on the hosts it selects. */
export const PortIgnoreInput = Type.Object(
  {
    /** Host names (globs) this entry applies to. Default: every host. */
    hosts: Type.Optional(HostGlobs),
    labels: Type.Optional(Labels),
    ports: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), { maxItems: 1_000 })),
    /** Program names as the agent reports them (e.g. "node", "java"). */
    processes: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 256 })),
  },
  { additionalProperties: false },
);

export const NewPortRuleInput = Type.Object(
  {
    ...changeRuleFields,
    /** Ports listening only on 127.0.0.0/8 or ::1 are not news. Default true. */
    ignoreLoopback: Type.Optional(Type.Boolean()),
    /** Ports in the host's ephemeral range (the agent sends it; Linux's 32768–60999 otherwise). Default true. */
    ignoreEphemeral: Type.Optional(Type.Boolean()),
    ignore: Type.Optional(Type.Array(PortIgnoreInput, { maxItems: 500 })),
  },
  { additionalProperties: false },
);

export const ChangeRulesInput = Type.Object(
  {
    new_port: Type.Optional(NewPortRuleInput),
    reboot: Type.Optional(ChangeRuleInput),
    agent_back: Type.Optional(ChangeRuleInput),
    agent_version: Type.Optional(ChangeRuleInput),
  },
  { additionalProperties: false },
);

export type ChangeRulesInput = Static<typeof ChangeRulesInput>;

export interface ChangeRule {
  kind: ChangeKind;
  enabled: boolean;
  severity: Severity;
  hosts: readonly string[];
  labels: Readonly<Record<string, string>>;
}

export interface PortIgnore {
  hosts: readonly string[];
  labels: Readonly<Record<string, string>>;
  ports: ReadonlySet<number>;
  processes: ReadonlySet<string>;
}

export interface NewPortRule extends ChangeRule {
  ignoreLoopback: boolean;
  ignoreEphemeral: boolean;
  ignore: readonly PortIgnore[];
}

export interface ChangeRules {
  new_port: NewPortRule;
  reboot: ChangeRule;
  agent_back: ChangeRule;
  agent_version: ChangeRule;
}

/** Linux's default net.ipv4.ip_local_port_range, for agents that do not send theirs. */
export const DEFAULT_EPHEMERAL_PORTS = Object.freeze({ low: 32_768, high: 60_999 });

const DEFAULT_SEVERITY: Record<ChangeKind, Severity> = {
  new_port: 'warning',
  reboot: 'warning',
  agent_back: 'info',
  agent_version: 'info',
};

function resolveRule(kind: ChangeKind, input: Static<typeof ChangeRuleInput> = {}): ChangeRule {
  return {
    kind,
    enabled: input.enabled ?? true,
    severity: input.severity ?? DEFAULT_SEVERITY[kind],
    hosts: Object.freeze([...(input.hosts ?? [])]),
    labels: Object.freeze({ ...(input.labels ?? {}) }),
  };
}

export function resolveChangeRules(input: ChangeRulesInput = {}): ChangeRules {
  const port = input.new_port ?? {};
  return Object.freeze({
    new_port: Object.freeze({
      ...resolveRule('new_port', port),
      ignoreLoopback: port.ignoreLoopback ?? true,
      ignoreEphemeral: port.ignoreEphemeral ?? true,
      ignore: Object.freeze(
        (port.ignore ?? []).map((i) =>
          Object.freeze({
            hosts: Object.freeze([...(i.hosts ?? [])]),
            labels: Object.freeze({ ...(i.labels ?? {}) }),
            ports: new Set(i.ports ?? []),
            processes: new Set(i.processes ?? []),
          }),
        ),
      ),
    }),
    reboot: Object.freeze(resolveRule('reboot', input.reboot)),
    agent_back: Object.freeze(resolveRule('agent_back', input.agent_back)),
    agent_version: Object.freeze(resolveRule('agent_version', input.agent_version)),
  });
}

/** Is a change of this rule reported for this host at all? */
export function reports(rule: ChangeRule, host: HostRef): boolean {
  return rule.enabled && selects(rule, host);
}

function loopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}

/**
 * Is this listening socket no news for the host: loopback only, in the ephemeral range, or on
 * the host's ignore list (by port or program)?
 */
export function ignoredPort(
  rule: NewPortRule,
  host: HostRef,
  port: Port,
  ephemeral: { low: number; high: number },
): boolean {
  if (rule.ignoreLoopback && loopback(port.address)) return true;
  if (rule.ignoreEphemeral && port.port >= ephemeral.low && port.port <= ephemeral.high) return true;
  return rule.ignore.some(
    (i) =>
      selects(i, host) &&
      (i.ports.has(port.port) || (port.process !== undefined && i.processes.has(port.process))),
  );
}
