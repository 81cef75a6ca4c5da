// Source-level rule for the tests themselves (docs/testing.md): a test waits for a condition with
// the shared `until()` (test/support/until.ts) or moves fake time; it never sleeps a fixed time.
// A sleep passes on a quiet machine and fails on a busy one, or waits longer than needed.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/**
 * Files that may start a timer that resolves a promise, each with why. Only the slow outside
 * world the fakes simulate belongs here, never a wait for the code under test. An entry whose file
 * no longer matches fails the test, so the list only shrinks.
 */
const SLEEP_ALLOWED = new Map([
  ['test/support/until.ts', 'the one polling loop: the pause between two looks at the condition'],
  ['test/test-waits.test.ts', 'this rule: its examples of what a sleep looks like'],
  ['test/clock-shape.test.ts', "the clock rule for src/: its examples of a global timer in a module's code"],
  [
    'test/fakes/telegram-server.ts',
    "the fake Bot API's getUpdates answers empty after the long-poll timeout the bot asked for, as Telegram does",
  ],
  ['test/netns/restart-flap.test.ts', 'the flapping link: random spells down and up are the fault injected'],
  [
    'test/container-stats.test.ts',
    'CPU % is a rate: the agent reads it over the same 1 s window docker stats uses',
  ],
]);

/** A fixed wait: a timer that resolves a promise, a sleep helper, or promise timers. */
const SLEEP_PATTERNS: readonly RegExp[] = [
  /setTimeout\(\s*(?:r|res|resolve|done|next|wake)\s*[,)]/,
  /setTimeout\(\s*\(\)\s*=>\s*(?:r|res|resolve|done|next|wake)\(/,
  /\b(?:sleep|delay|pause)\s*\(/,
  /from\s+['"](?:node:)?timers\/promises['"]/,
];

/** Lines of code with comments dropped, so a comment may say "sleep(" freely. */
function code(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.replace(/(^|[^:'"`])\/\/.*$/, '$1'))
    .join('\n');
}

function sleeps(source: string): boolean {
  const text = code(source);
  return SLEEP_PATTERNS.some((pattern) => pattern.test(text));
}

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testSources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('no fixed sleeps in tests', () => {
  it('recognises the ways a test sleeps', () => {
    expect(sleeps('await new Promise((r) => setTimeout(r, 1_500));')).toBe(true);
    expect(sleeps('await new Promise((resolve) =>\n  setTimeout(resolve, 100),\n);')).toBe(true);
    expect(sleeps('await new Promise<void>((resolve) => setTimeout(() => resolve(), 50));')).toBe(true);
    expect(sleeps('await sleep(2_000);')).toBe(true);
    expect(sleeps("import { setTimeout as wait } from 'node:timers/promises';")).toBe(true);
    // Timers that act rather than wait, and comments, are fine.
    expect(sleeps("const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);")).toBe(false);
    expect(sleeps("timer = setTimeout(() => reject(new Error('no start')), 30_000);")).toBe(false);
    expect(sleeps('// no sleep(1000) here')).toBe(false);
    expect(sleeps("argv: ['sh', '-c', 'sleep 5']")).toBe(false);
  });

  const files = testSources(join(ROOT, 'test')).map((file) => relative(ROOT, file));

  it('finds the test sources', () => {
    expect(files).toContain('test/support/until.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  it('no test file sleeps a fixed time: wait with until() or use fake time', () => {
    const offenders = files.filter(
      (file) => !SLEEP_ALLOWED.has(file) && sleeps(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('every allowed file still needs its entry', () => {
    const stale = [...SLEEP_ALLOWED.keys()].filter((file) => {
      try {
        return !sleeps(readFileSync(join(ROOT, file), 'utf8'));
      } catch {
        return true;
      }
    });
    expect(stale).toEqual([]);
  });
});
