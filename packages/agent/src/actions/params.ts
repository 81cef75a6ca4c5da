import type { ActionParam, JobParams } from '@pantau/shared/lite';

export type ParamValues = ReadonlyMap<string, string>;

export type ParamResult = { ok: true; values: ParamValues } | { ok: false; reason: string };

const compiled = new Map<string, RegExp>();

/** The pattern must match the whole value, whatever anchors the author wrote. */
export function wholeMatch(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    compiled.set(pattern, re);
  }
  return re;
}

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
      if (typeof s !== 'string' || s.includes('\0') || !wholeMatch(spec.pattern ?? '').test(s)) {
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
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const key of Object.keys(given)) {
    if (!byName.has(key)) {
      const known = specs.map((s) => s.name).join(', ') || 'none';
      return { ok: false, reason: `unknown parameter ${JSON.stringify(key)}; this action takes ${known}` };
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

/** `{{name}}` as a whole argv element; anything else is taken literally. */
export const PLACEHOLDER = /^\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}$/;

/** Replaces whole-element placeholders; an optional parameter left out removes its element. */
export function substitute(argv: readonly string[], values: ParamValues): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const m = PLACEHOLDER.exec(arg);
    if (!m?.[1]) {
      out.push(arg);
      continue;
    }
    const value = values.get(m[1]);
    if (value !== undefined) out.push(value);
  }
  return out;
}
