// Host labels and the selectors that pick hosts by them (`env=prod,role=db`). One file holds
// both sides, so every label the fleet accepts can be written as a selector that selects it:
// a label value with `,` or `=`, or with spaces at either end (the selector trims), could never
// be selected, so it is refused.
import { PantauError } from '@pantau/shared';

const invalid = (message: string): never => {
  throw new PantauError('VALIDATION_FAILED', message);
};

/** The label rules: `checkLabels` applies them, the API's schema is built from them (api/schemas.ts). */
export const LABEL_RULES = {
  key: { pattern: '^[A-Za-z0-9_.-]{1,64}$', rule: 'must be 1-64 of A-Z a-z 0-9 _ . -' },
  /** Printable, no selector separator, no space at either end; empty is allowed (`env=`). */
  value: {
    pattern: '^(?:[^\\s,=\\p{Cc}\\p{Cf}](?:[^,=\\p{Cc}\\p{Cf}]*[^\\s,=\\p{Cc}\\p{Cf}])?)?$',
    rule: 'cannot be selected; a label value has no "," or "=", no control or invisible characters, and no spaces at either end',
    maxLength: 256,
  },
  maxLabels: 64,
} as const;
const LABEL_KEY = new RegExp(LABEL_RULES.key.pattern);
const LABEL_VALUE = new RegExp(LABEL_RULES.value.pattern, 'u');
const MAX_LABELS = LABEL_RULES.maxLabels;
const MAX_VALUE = LABEL_RULES.value.maxLength;

/** Refuses labels no selector could select, naming the first bad one. */
export function checkLabels(labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) invalid(`at most ${MAX_LABELS} labels`);
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) invalid(`label key "${key.slice(0, 64)}" ${LABEL_RULES.key.rule}`);
    if (typeof value !== 'string' || value.length > MAX_VALUE)
      invalid(`label ${key} must be a string of at most ${MAX_VALUE} characters`);
    if (!LABEL_VALUE.test(value)) {
      invalid(`label ${key}: "${value.slice(0, 64)}" ${LABEL_RULES.value.rule}`);
    }
  }
}

/** `env=prod,role=db` → [[env, prod], [role, db]]; every pair must match. */
export function parseSelector(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) invalid(`targets.selector: "${item}" is not key=value (e.g. env=prod,role=db)`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (!LABEL_KEY.test(key))
      invalid(`targets.selector: "${key}" is not a label key (letters, digits, _ . -)`);
    if (value.includes('=')) invalid(`targets.selector: "${item}" has more than one "="`);
    pairs.push([key, value]);
  }
  return pairs;
}

/** Does a host carry every pair? */
export function selected(pairs: readonly [string, string][], labels: Record<string, string>): boolean {
  return pairs.every(([key, value]) => labels[key] === value);
}
