// Source-level rule of the code's shape (docs/architecture.md, "Where time lives"): the collector
// and the agent read the wall clock and arm timers only through their src/clock.ts. Every other module takes a
// Clock or Timers from the composition root, so a test of timed behaviour can pass fake time.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const COLLECTOR_SRC = join(ROOT, 'packages', 'collector', 'src');
const AGENT_SRC = join(ROOT, 'packages', 'agent', 'src');
const SHARED_SRC = join(ROOT, 'packages', 'shared', 'src');

/**
 * Files that may use the global clock and timers. An entry whose file no longer does fails the
 * test, so the list only shrinks.
 */
const TIME_ALLOWED = new Set([
  // The clock module: the real clock and timers every other module is given.
  'packages/collector/src/clock.ts',
  // The real timers both clock modules hand out, written once.
  'packages/shared/src/timers.ts',
  // The process's composition root: the shutdown grace on SIGTERM, outside any app instance.
  'packages/collector/src/main.ts',
]);

/**
 * The agent's files that may use the global clock and timers, shrinking like TIME_ALLOWED. The
 * agent's parts take an `AgentTime` or `Timers` from `startAgent`, the composition root.
 */
const AGENT_TIME_ALLOWED = new Set([
  // The agent's clock module: the real clocks and timers every other module is given.
  'packages/agent/src/clock.ts',
  // The process's entry (`main()`): the parent-process watch and `once`'s measuring window,
  // outside any running agent.
  'packages/agent/src/cli.ts',
]);

/** The global clock or a global timer; `timers.setTimeout(…)` on an injected object is fine. */
const TIME_PATTERNS: readonly RegExp[] = [
  /\bDate\.now\b/,
  /\bnew Date\(\s*\)/,
  // Not a method of that name being declared (`setInterval(ms: number): void {`).
  /(?<![\w$#.])(?:setTimeout|setInterval)\s*\((?![^)]*\)\s*:)/,
];

/** Comments may name the global clock (saying what a default is); only code counts. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function usesGlobalTime(source: string): boolean {
  const text = code(source);
  return TIME_PATTERNS.some((pattern) => pattern.test(text));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('time placement', () => {
  it('recognises the global clock and timers the way code writes them', () => {
    expect(usesGlobalTime('const now = Date.now();')).toBe(true);
    expect(usesGlobalTime('this.#now = options.now ?? Date.now;')).toBe(true);
    expect(usesGlobalTime('const at = new Date();')).toBe(true);
    expect(usesGlobalTime('const timer = setTimeout(() => run(), 1_000);')).toBe(true);
    expect(usesGlobalTime('await new Promise((r) => setTimeout(r, 20));')).toBe(true);
    expect(usesGlobalTime('this.#timer = setInterval(() => this.tick(), 250);')).toBe(true);
    expect(usesGlobalTime('this.#timers.setTimeout(() => this.#tick(), 0);')).toBe(false);
    expect(usesGlobalTime('socket.setTimeout(5_000, onIdle);')).toBe(false);
    expect(usesGlobalTime('  setInterval(ms: number): void {')).toBe(false);
    expect(usesGlobalTime('new Date(expiresAt).toISOString()')).toBe(false);
    expect(usesGlobalTime('/** Clock, epoch ms. Default Date.now. */')).toBe(false);
    expect(usesGlobalTime('  // setTimeout here would escape fake time\nconst x = 1;')).toBe(false);
  });

  it('finds the global clock and timers in the collector only in clock.ts and the allowlist', () => {
    const offenders = [...sources(COLLECTOR_SRC), ...sources(SHARED_SRC)]
      .map((file) => relative(ROOT, file))
      .filter((file) => !TIME_ALLOWED.has(file))
      .filter((file) => usesGlobalTime(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('finds the global clock and timers in the agent only in its clock.ts and the allowlist', () => {
    const offenders = sources(AGENT_SRC)
      .map((file) => relative(ROOT, file))
      .filter((file) => !AGENT_TIME_ALLOWED.has(file))
      .filter((file) => usesGlobalTime(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('lists only files that still use them, so the allowlists shrink', () => {
    const stale = [...TIME_ALLOWED, ...AGENT_TIME_ALLOWED].filter((file) => {
      try {
        return !usesGlobalTime(readFileSync(join(ROOT, file), 'utf8'));
      } catch {
        return true;
      }
    });
    expect(stale).toEqual([]);
  });
});
