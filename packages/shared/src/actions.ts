import type { ActionParam, ActionSpec, JobParams } from './frames.ts';
import { compilePattern, patternProblem } from './pattern.ts';

// The built-in actions' parameter specs and danger levels, shared so that the collector checks
// a job exactly as the agent will. The agent keeps the argv builders; nothing here runs anything.
// Type-only imports: the agent loads this through @pantau/shared/lite without TypeBox.

/** Host names (RFC 1123 labels) and IP literals; never starts with "-", so it is never an option. */
export const HOST_PATTERN = '[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]{2,45}';

/** systemd unit names: letters, digits and :-_.\@ with an optional known suffix. */
export const UNIT_PATTERN =
  '[A-Za-z0-9][A-Za-z0-9:_.@\\\\-]{0,200}(?:\\.(?:service|socket|timer|target|mount|path|slice|scope))?';

/** Docker container names (and ids): what `docker run --name` accepts. */
export const CONTAINER_PATTERN = '[A-Za-z0-9][A-Za-z0-9_.-]{0,127}';

const container: ActionParam = {
  name: 'container',
  kind: 'regex',
  pattern: CONTAINER_PATTERN,
  required: true,
  description: "container name; the agent's actions.containers patterns must allow it",
};

const unit: ActionParam = {
  name: 'unit',
  kind: 'regex',
  pattern: UNIT_PATTERN,
  required: true,
  description: 'systemd unit, e.g. nginx or nginx.service',
};

/** A built-in action: what it takes, whether it is dangerous, and its longest run. */
export interface BuiltinAction {
  readonly spec: ActionSpec;
  /** The agent's limit for this action, ms; a job may ask for less, never more. */
  readonly timeoutMs: number;
}

export const BUILTIN_ACTION_NAMES = [
  'ping',
  'uptime',
  'disk-usage',
  'service-status',
  'service-restart',
  'apt-update',
  'apt-upgrade',
  'reboot',
  'shutdown',
  'container-start',
  'container-stop',
  'container-restart',
] as const;
export type BuiltinActionName = (typeof BUILTIN_ACTION_NAMES)[number];

export const BUILTIN_ACTION_CATALOG: readonly BuiltinAction[] = [
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
    timeoutMs: 60_000,
  },
  {
    spec: { name: 'uptime', description: 'show uptime and load', dangerous: false, params: [] },
    timeoutMs: 10_000,
  },
  {
    spec: {
      name: 'disk-usage',
      description: 'show disk usage per filesystem (df -h)',
      dangerous: false,
      params: [],
    },
    timeoutMs: 30_000,
  },
  {
    spec: {
      name: 'service-status',
      description: 'systemctl status of one unit',
      dangerous: false,
      params: [unit],
    },
    timeoutMs: 30_000,
  },
  {
    spec: {
      name: 'service-restart',
      description: 'restart one systemd unit',
      dangerous: true,
      params: [unit],
    },
    timeoutMs: 120_000,
  },
  {
    spec: {
      name: 'apt-update',
      description: 'refresh the package lists (apt-get update)',
      dangerous: false,
      params: [],
    },
    timeoutMs: 600_000,
  },
  {
    spec: {
      name: 'apt-upgrade',
      description: 'install available upgrades, keeping changed config files',
      dangerous: true,
      params: [],
    },
    timeoutMs: 3_600_000,
  },
  {
    spec: { name: 'reboot', description: 'reboot the host now', dangerous: true, params: [] },
    timeoutMs: 60_000,
  },
  {
    spec: {
      name: 'shutdown',
      description: 'power the host off after a delay',
      dangerous: true,
      params: [{ name: 'delay', kind: 'integer', min: 0, max: 1440, default: 1, description: 'minutes' }],
    },
    timeoutMs: 60_000,
  },
  // Through the Docker Engine API on the agent's socket, no command line.
  {
    spec: {
      name: 'container-start',
      description: 'start one Docker container',
      dangerous: false,
      params: [container],
    },
    timeoutMs: 60_000,
  },
  {
    spec: {
      name: 'container-stop',
      description: 'stop one Docker container (SIGTERM, then SIGKILL after 10 s)',
      dangerous: true,
      params: [container],
    },
    timeoutMs: 60_000,
  },
  {
    spec: {
      name: 'container-restart',
      description: 'restart one Docker container',
      dangerous: false,
      params: [container],
    },
    timeoutMs: 60_000,
  },
];

const byName = new Map<string, BuiltinAction>(BUILTIN_ACTION_CATALOG.map((a) => [a.spec.name, a]));

/** The built-in action with this name, or undefined. */
export function builtinAction(name: string): BuiltinAction | undefined {
  return byName.get(name);
}

export type ParamValues = ReadonlyMap<string, string>;

export type ParamResult = { ok: true; values: ParamValues } | { ok: false; reason: string };

function isRequired(spec: ActionParam): boolean {
  return spec.default === undefined && spec.required !== false;
}

function checkOne(spec: ActionParam, value: string | number | boolean): string | { error: string } {
  const name = spec.name;
  switch (spec.kind) {
    case 'integer': {
      const n = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isSafeInteger(n))
        return { error: `${name} must be a whole number` };
      if (spec.min !== undefined && n < spec.min) return { error: `${name} must be at least ${spec.min}` };
      if (spec.max !== undefined && n > spec.max) return { error: `${name} must be at most ${spec.max}` };
      return String(n);
    }
    case 'enum': {
      const s = typeof value === 'number' ? String(value) : value;
      if (typeof s !== 'string' || !(spec.values ?? []).includes(s)) {
        return { error: `${name} must be one of ${(spec.values ?? []).join(', ')}` };
      }
      return s;
    }
    case 'regex': {
      const s = typeof value === 'number' ? String(value) : value;
      const problem = patternProblem(spec.pattern ?? '');
      if (problem) return { error: `${name} has a pattern that cannot be run: ${problem}` };
      if (typeof s !== 'string' || s.includes('\0') || !compilePattern(spec.pattern ?? '').test(s)) {
        return { error: `${name} must match ${spec.pattern ?? ''}` };
      }
      return s;
    }
  }
}

/**
 * Checks a job's parameters against the action's specs: no unknown names, every required one
 * present, each value of its kind. Returns the values as strings, ready to be whole argv elements.
 */
export function resolveParams(specs: readonly ActionParam[], given: JobParams): ParamResult {
  const known = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      const names = specs.map((s) => s.name).join(', ') || 'none';
      return { ok: false, reason: `unknown parameter ${JSON.stringify(key)}; this action takes ${names}` };
    }
  }
  const values = new Map<string, string>();
  for (const spec of specs) {
    const value = Object.hasOwn(given, spec.name) ? given[spec.name] : spec.default;
    if (value === undefined) {
      if (isRequired(spec)) return { ok: false, reason: `parameter ${spec.name} is required` };
      continue;
    }
    const checked = checkOne(spec, value);
    if (typeof checked !== 'string') return { ok: false, reason: checked.error };
    values.set(spec.name, checked);
  }
  return { ok: true, values };
}
