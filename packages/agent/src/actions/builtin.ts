import { isIP } from 'node:net';
import type { ActionParam, ActionSpec } from '@pantau/shared/lite';
import type { ParamValues } from './params.ts';

/** An action the agent knows how to run once its config allows it. */
export interface ActionDefinition {
  readonly spec: ActionSpec;
  /** The argv for validated parameters; never passed to a shell. */
  argv(values: ParamValues): string[];
  /** Extra environment for the child. */
  readonly env?: Readonly<Record<string, string>>;
  /** Timeout for this action when the config gives none, ms. */
  readonly timeoutMs?: number;
  /** Checks a spec cannot express; returns the reason to reject, if any. */
  check?(values: ParamValues): string | undefined;
}

/** Host names (RFC 1123 labels) and IP literals; never starts with "-", so it is never an option. */
const HOST_PATTERN = '[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]{2,45}';

/** systemd unit names: letters, digits and :-_.\@ with an optional known suffix. */
const UNIT_PATTERN =
  '[A-Za-z0-9][A-Za-z0-9:_.@\\\\-]{0,200}(?:\\.(?:service|socket|timer|target|mount|path|slice|scope))?';

const unit: ActionParam = {
  name: 'unit',
  kind: 'regex',
  pattern: UNIT_PATTERN,
  required: true,
  description: 'systemd unit, e.g. nginx or nginx.service',
};

/** apt and dpkg must never stop to ask. */
const NONINTERACTIVE = {
  DEBIAN_FRONTEND: 'noninteractive',
  NEEDRESTART_MODE: 'a',
  APT_LISTCHANGES_FRONTEND: 'none',
};

const get = (values: ParamValues, name: string): string => values.get(name) ?? '';

export const BUILTIN_ACTIONS: readonly ActionDefinition[] = [
  {
    spec: {
      name: 'ping',
      description: 'ping a host name or IP address',
      dangerous: false,
      params: [
        {
          name: 'target',
          kind: 'regex',
          pattern: HOST_PATTERN,
          required: true,
          description: 'host name or IP',
        },
        { name: 'count', kind: 'integer', min: 1, max: 10, default: 3, description: 'echo requests' },
      ],
    },
    check(values) {
      const target = get(values, 'target');
      const isHostname =
        /^[A-Za-z0-9.-]+$/.test(target) && target.split('.').every((l) => l.length > 0 && l.length <= 63);
      return isIP(target) !== 0 || isHostname ? undefined : 'target must be a host name or an IP address';
    },
    argv: (values) => ['ping', '-c', get(values, 'count'), '-W', '5', get(values, 'target')],
    timeoutMs: 60_000,
  },
  {
    spec: { name: 'uptime', description: 'show uptime and load', dangerous: false, params: [] },
    argv: () => ['uptime'],
    timeoutMs: 10_000,
  },
  {
    spec: {
      name: 'disk-usage',
      description: 'show disk usage per filesystem (df -h)',
      dangerous: false,
      params: [],
    },
    argv: () => ['df', '-h', '-x', 'tmpfs', '-x', 'devtmpfs', '-x', 'squashfs', '-x', 'overlay'],
    timeoutMs: 30_000,
  },
  {
    spec: {
      name: 'service-status',
      description: 'systemctl status of one unit',
      dangerous: false,
      params: [unit],
    },
    argv: (values) => ['systemctl', 'status', '--no-pager', '--lines=20', '--', get(values, 'unit')],
    timeoutMs: 30_000,
  },
  {
    spec: {
      name: 'service-restart',
      description: 'restart one systemd unit',
      dangerous: false,
      params: [unit],
    },
    argv: (values) => ['systemctl', 'restart', '--', get(values, 'unit')],
    timeoutMs: 120_000,
  },
  {
    spec: {
      name: 'apt-update',
      description: 'refresh the package lists (apt-get update)',
      dangerous: false,
      params: [],
    },
    argv: () => ['apt-get', 'update'],
    env: NONINTERACTIVE,
    timeoutMs: 600_000,
  },
  {
    spec: {
      name: 'apt-upgrade',
      description: 'install available upgrades, keeping changed config files',
      dangerous: true,
      params: [],
    },
    argv: () => [
      'apt-get',
      '-y',
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      'upgrade',
    ],
    env: NONINTERACTIVE,
    timeoutMs: 3_600_000,
  },
  {
    spec: { name: 'reboot', description: 'reboot the host now', dangerous: true, params: [] },
    argv: () => ['systemctl', 'reboot'],
    timeoutMs: 60_000,
  },
  {
    spec: {
      name: 'shutdown',
      description: 'power the host off after a delay',
      dangerous: true,
      params: [{ name: 'delay', kind: 'integer', min: 0, max: 1440, default: 1, description: 'minutes' }],
    },
    argv: (values) => ['shutdown', '-h', `+${get(values, 'delay')}`],
    timeoutMs: 60_000,
  },
];

/** Allowed when the config says nothing: actions that only read. */
export const READ_ONLY_ACTIONS: readonly string[] = ['ping', 'uptime', 'disk-usage', 'service-status'];

export const BUILTIN_NAMES: ReadonlySet<string> = new Set(BUILTIN_ACTIONS.map((a) => a.spec.name));
