import { isIP } from 'node:net';
import { type ActionSpec, type BuiltinActionName, builtinAction } from '@pantau/shared/lite';
import { CONTAINER_ACTIONS } from './container.ts';
import type { ParamValues } from './params.ts';
import type { RunHandle } from './runner.ts';

/** What the host's config says beyond `allow`, for the actions that need it. */
export interface ActionContext {
  /** Docker Engine socket (`docker.socket`). */
  readonly dockerSocket: string;
  /** Container names the container actions may touch (`actions.containers`, `*` globs). */
  readonly containers: readonly string[];
}

interface ActionBase {
  readonly spec: ActionSpec;
  /** Extra environment for the child. */
  readonly env?: Readonly<Record<string, string>>;
  /** Timeout for this action when the config gives none, ms. */
  readonly timeoutMs?: number;
  /** Checks a spec cannot express; returns the reason to reject, if any. */
  check?(values: ParamValues, context: ActionContext): string | undefined;
}

/** An action run as a child process. */
export interface CommandAction extends ActionBase {
  /** The argv for validated parameters; never passed to a shell. */
  argv(values: ParamValues): string[];
}

/** An action the agent carries out itself through an API (the Docker Engine's), no process. */
export interface ApiAction extends ActionBase {
  run(
    values: ParamValues,
    context: ActionContext,
    options: { timeoutMs: number; onOutput(stream: 'stdout' | 'stderr', data: string): void },
  ): RunHandle;
}

/** An action the agent knows how to run once its config allows it. */
export type ActionDefinition = CommandAction | ApiAction;

/** apt and dpkg must never stop to ask. */
const NONINTERACTIVE = {
  DEBIAN_FRONTEND: 'noninteractive',
  NEEDRESTART_MODE: 'a',
  APT_LISTCHANGES_FRONTEND: 'none',
};

const get = (values: ParamValues, name: string): string => values.get(name) ?? '';

/** The shared catalog holds what each built-in takes and its danger level; the argv is built here. */
function builtin(name: BuiltinActionName) {
  const found = builtinAction(name);
  if (!found) throw new Error(`${name} is missing from the shared action catalog`);
  return found;
}
const spec = (name: BuiltinActionName): ActionSpec => builtin(name).spec;
const limit = (name: BuiltinActionName): number => builtin(name).timeoutMs;

export const BUILTIN_ACTIONS: readonly ActionDefinition[] = [
  {
    spec: spec('ping'),
    check(values) {
      const target = get(values, 'target');
      const isHostname =
        /^[A-Za-z0-9.-]+$/.test(target) && target.split('.').every((l) => l.length > 0 && l.length <= 63);
      return isIP(target) !== 0 || isHostname ? undefined : 'target must be a host name or an IP address';
    },
    argv: (values) => ['ping', '-c', get(values, 'count'), '-W', '5', get(values, 'target')],
    timeoutMs: limit('ping'),
  },
  {
    spec: spec('uptime'),
    argv: () => ['uptime'],
    timeoutMs: limit('uptime'),
  },
  {
    spec: spec('disk-usage'),
    argv: () => ['df', '-h', '-x', 'tmpfs', '-x', 'devtmpfs', '-x', 'squashfs', '-x', 'overlay'],
    timeoutMs: limit('disk-usage'),
  },
  {
    spec: spec('service-status'),
    argv: (values) => ['systemctl', 'status', '--no-pager', '--lines=20', '--', get(values, 'unit')],
    timeoutMs: limit('service-status'),
  },
  {
    spec: spec('service-restart'),
    argv: (values) => ['systemctl', 'restart', '--', get(values, 'unit')],
    timeoutMs: limit('service-restart'),
  },
  {
    spec: spec('apt-update'),
    argv: () => ['apt-get', 'update'],
    env: NONINTERACTIVE,
    timeoutMs: limit('apt-update'),
  },
  {
    spec: spec('apt-upgrade'),
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
    timeoutMs: limit('apt-upgrade'),
  },
  {
    spec: spec('reboot'),
    argv: () => ['systemctl', 'reboot'],
    timeoutMs: limit('reboot'),
  },
  {
    spec: spec('shutdown'),
    argv: (values) => ['shutdown', '-h', `+${get(values, 'delay')}`],
    timeoutMs: limit('shutdown'),
  },
  ...CONTAINER_ACTIONS,
];

/** Allowed when the config says nothing: actions that only read. */
export const READ_ONLY_ACTIONS: readonly string[] = ['ping', 'uptime', 'disk-usage', 'service-status'];

export const BUILTIN_NAMES: ReadonlySet<string> = new Set(BUILTIN_ACTIONS.map((a) => a.spec.name));
