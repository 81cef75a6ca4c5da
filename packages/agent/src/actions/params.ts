import type { ParamValues } from '@pantau/shared/lite';

export {
  compilePattern,
  type ParamValues,
  patternProblem,
  resolveParams,
} from '@pantau/shared/lite';

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
