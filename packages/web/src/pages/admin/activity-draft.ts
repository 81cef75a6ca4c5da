import type { ActivityBody } from '@pantau/collector/api-types';

type Param = ActivityBody['params'][number];
export type Kind = Param['kind'];

/** One parameter as the form holds it: every field a string until it is sent. */
export interface ParamDraft {
  name: string;
  kind: Kind;
  values: string;
  min: string;
  max: string;
  pattern: string;
  required: boolean;
  default: string;
  description: string;
}

/** The activity form's state; `editing` is the id of the activity being replaced, if any. */
export interface ActivityDraft {
  editing: string | null;
  name: string;
  description: string;
  action: string;
  fixed: string;
  params: ParamDraft[];
  dangerous: boolean;
  minRole: 'viewer' | 'operator' | 'admin';
}

export const emptyParam = (): ParamDraft => ({
  name: '',
  kind: 'enum',
  values: '',
  min: '',
  max: '',
  pattern: '',
  required: true,
  default: '',
  description: '',
});

export const emptyDraft = (): ActivityDraft => ({
  editing: null,
  name: '',
  description: '',
  action: 'uptime',
  fixed: '',
  params: [],
  dangerous: false,
  minRole: 'operator',
});

/** The form for an existing activity (to edit it). */
export function draftOf(a: ActivityBody): ActivityDraft {
  return {
    editing: a.id,
    name: a.name,
    description: a.description,
    action: a.action,
    fixed: Object.entries(a.fixed)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    params: a.params.map((p) => ({
      name: p.name,
      kind: p.kind,
      values: (p.values ?? []).join(', '),
      min: p.min === undefined ? '' : String(p.min),
      max: p.max === undefined ? '' : String(p.max),
      pattern: p.pattern ?? '',
      required: p.required ?? false,
      default: p.default === undefined ? '' : String(p.default),
      description: p.description ?? '',
    })),
    dangerous: a.dangerous,
    minRole: a.minRole,
  };
}

const INTEGER = /^-?\d+$/;
// Whole numbers travel as numbers (integer parameters want them); anything else as text.
const scalar = (s: string): string | number => (INTEGER.test(s) ? Number(s) : s);

/** The request body for POST/PUT /activities; the collector checks the rest and says what is wrong. */
export function bodyOf(d: ActivityDraft): Record<string, unknown> {
  const fixed: Record<string, string | number> = {};
  for (const line of d.fixed.split('\n')) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    if (at < 1) throw new Error(`fixed parameters: "${line.trim()}" is not name=value`);
    fixed[line.slice(0, at).trim()] = scalar(line.slice(at + 1).trim());
  }
  return {
    name: d.name.trim(),
    description: d.description,
    action: d.action.trim(),
    fixed,
    params: d.params.map(paramOf),
    dangerous: d.dangerous,
    minRole: d.minRole,
  };
}

function paramOf(p: ParamDraft): Param {
  const out: Param = { name: p.name.trim(), kind: p.kind, required: p.required };
  if (p.kind === 'enum') {
    out.values = p.values
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  }
  if (p.kind === 'integer') {
    if (p.min.trim()) out.min = integer(p, 'min', p.min);
    if (p.max.trim()) out.max = integer(p, 'max', p.max);
  }
  if (p.kind === 'regex') out.pattern = p.pattern;
  if (p.default.trim())
    out.default = p.kind === 'integer' ? integer(p, 'default', p.default) : p.default.trim();
  if (p.description.trim()) out.description = p.description.trim();
  return out;
}

function integer(p: ParamDraft, field: string, text: string): number {
  if (!INTEGER.test(text.trim()))
    throw new Error(`parameter ${p.name || '(unnamed)'}: ${field} must be a whole number`);
  return Number(text.trim());
}
