// Parameter patterns (an admin's activity, an agent's custom action, the built-in actions) run in
// re2js, a pure-JavaScript port of RE2: matching takes time linear in the value, whatever the
// pattern (`(a+)+b` against 27 `a`s blocked V8's backtracking engine for 2.8 s). The agent and
// the collector both use this file, so they agree on what matches. Patterns RE2 cannot run in
// linear time (backreferences, lookarounds) are refused when they are defined.
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

let engine: typeof Re2js | undefined;

/**
 * re2js is loaded on the first pattern, not at start: an agent whose jobs take no pattern never
 * pays its ~4 MB. In the agent's single-file bundle `require` is esbuild's (the module is inside
 * the bundle, evaluated on this first call); run from source, Node's ESM has no `require`.
 */
function re2js(): typeof Re2js {
  engine ??= (
    typeof require === 'function' ? require('re2js') : createRequire(import.meta.filename)('re2js')
  ) as typeof Re2js;
  return engine;
}

export interface Pattern {
  readonly source: string;
  /** Does the whole value match, whatever anchors the author wrote? */
  test(value: string): boolean;
}

export class PatternError extends Error {
  override name = 'PatternError';
}

const compiled = new Map<string, Pattern>();
/** Patterns come from config and activities, a handful; the cap only bounds a misuse. */
const CACHE = 256;

/** The pattern, compiled once; a PatternError says why RE2 cannot run it. */
export function compilePattern(source: string): Pattern {
  let pattern = compiled.get(source);
  if (pattern) return pattern;
  const { RE2JS } = re2js();
  let re: Re2js.RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new PatternError(
      `${(err as Error).message} (patterns use RE2 syntax: no backreferences or lookarounds)`,
    );
  }
  pattern = { source, test: (value) => re.testExact(value) };
  if (compiled.size >= CACHE) compiled.clear();
  compiled.set(source, pattern);
  return pattern;
}

/** Why RE2 cannot run this pattern, or null when it can. */
export function patternProblem(source: string): string | null {
  try {
    compilePattern(source);
    return null;
  } catch (err) {
    if (err instanceof PatternError) return err.message;
    throw err;
  }
}

/** Has a pattern been used in this process (so the engine is loaded)? For footprint tests. */
export function patternEngineLoaded(): boolean {
  return engine !== undefined;
}
