// Names the field that makes a value fail a JSON Schema, in the words TypeBox uses, without the
// TypeBox runtime: the agent explains a refused frame or snapshot with this and the schemas that
// gen-validators.ts writes out as plain JSON (generated/validators.ts). It covers the keywords
// the protocol's schemas use; a test compares its message with codec.ts's (TypeBox) on mutated
// frames and snapshots.

/** The part of JSON Schema the protocol's TypeBox schemas compile to. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  const?: unknown;
  enum?: readonly unknown[];
  anyOf?: readonly JsonSchema[];
  properties?: Readonly<Record<string, JsonSchema>>;
  patternProperties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  minProperties?: number;
  maxProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

interface Failure {
  /** JSON pointer of the failing value, as TypeBox's `instancePath`. */
  path: string;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeMatches(type: NonNullable<JsonSchema['type']>, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
  }
}

/** String length in code points, as JSON Schema (and TypeBox) count it. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const patterns = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    patterns.set(source, re);
  }
  return re;
}

/** Every failure of `value` against `schema`, in the order TypeBox reports them. */
function failures(schema: JsonSchema, value: unknown, path: string, out: Failure[]): void {
  const fail = (message: string, at = path) => out.push({ path: at, message });
  if (schema.anyOf) {
    const inner: Failure[] = [];
    for (const variant of schema.anyOf) {
      const mine: Failure[] = [];
      failures(variant, value, path, mine);
      if (mine.length === 0) return;
      inner.push(...mine);
    }
    out.push(...inner);
    fail('must match a schema in anyOf');
    return;
  }
  if (schema.type && !typeMatches(schema.type, value)) {
    fail(`must be ${schema.type}`);
    return;
  }
  if ('const' in schema && value !== schema.const) fail('must be equal to constant');
  if (schema.enum && !schema.enum.includes(value)) fail('must be equal to one of the allowed values');
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && !(value >= schema.minimum)) fail(`must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && !(value <= schema.maximum)) fail(`must be <= ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && !(value > schema.exclusiveMinimum))
      fail(`must be > ${schema.exclusiveMinimum}`);
    if (schema.exclusiveMaximum !== undefined && !(value < schema.exclusiveMaximum))
      fail(`must be < ${schema.exclusiveMaximum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && codePoints(value) < schema.minLength)
      fail(`must not have fewer than ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && codePoints(value) > schema.maxLength)
      fail(`must not have more than ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !regex(schema.pattern).test(value))
      fail(`must match pattern "${schema.pattern}"`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      fail(`must not have fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      fail(`must not have more than ${schema.maxItems} items`);
    if (schema.items)
      if (schema.items)
        for (const [i, item] of value.entries()) failures(schema.items, item, `${path}/${i}`, out);
  }
  if (isObject(value)) objectFailures(schema, value, path, out);
}

function objectFailures(
  schema: JsonSchema,
  value: Record<string, unknown>,
  path: string,
  out: Failure[],
): void {
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < schema.minProperties)
    out.push({ path, message: `must not have fewer than ${schema.minProperties} properties` });
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
    out.push({ path, message: `must not have more than ${schema.maxProperties} properties` });
  const missing = (schema.required ?? []).filter((k) => !(k in value));
  if (missing.length > 0) out.push({ path, message: `must have required properties ${missing.join(', ')}` });
  const properties = schema.properties ?? {};
  const pointer = (k: string) => `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  for (const [key, sub] of Object.entries(properties)) {
    if (key in value) failures(sub, value[key], pointer(key), out);
  }
  const patterned = Object.entries(schema.patternProperties ?? {});
  for (const [source, sub] of patterned) {
    for (const key of keys) if (regex(source).test(key)) failures(sub, value[key], pointer(key), out);
  }
  if (schema.additionalProperties === undefined || schema.additionalProperties === true) return;
  const extra = keys.filter(
    (k) => !Object.hasOwn(properties, k) && !patterned.some(([p]) => regex(p).test(k)),
  );
  if (extra.length === 0) return;
  if (schema.additionalProperties === false) {
    out.push({ path, message: `has unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}` });
    return;
  }
  for (const key of extra) failures(schema.additionalProperties, value[key], pointer(key), out);
}

/**
 * Why `value` fails `schema`, naming the field ("cpu.total must be number"), or null when it
 * matches. Like codec.ts, the deepest failure wins: it is the most specific.
 */
export function explainJson(schema: JsonSchema, value: unknown): string | null {
  const all: Failure[] = [];
  failures(schema, value, '', all);
  let best: Failure | undefined;
  for (const f of all) if (!best || f.path.length > best.path.length) best = f;
  if (!best) return null;
  const field = best.path === '' ? 'frame' : best.path.slice(1).replaceAll('/', '.');
  return `${field} ${best.message}`;
}
