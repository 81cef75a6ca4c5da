import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { HOST_PATTERN, resolveParams, UNIT_PATTERN } from './actions.ts';
import type { ActionParam } from './frames.ts';
import { compilePattern, type Pattern, patternEngineLoaded, patternProblem } from './pattern.ts';

const param = (pattern: string): ActionParam => ({ name: 'v', kind: 'regex', pattern });

/**
 * The match and how many characters the engine read to answer it (re2js reads the value through
 * `charCodeAt`): the matcher's work counted, not timed, so the bound holds on any machine.
 */
function measure(pattern: Pattern, value: string): { match: boolean; reads: number } {
  const charCodeAt = vi.spyOn(String.prototype, 'charCodeAt');
  try {
    const match = pattern.test(value);
    return { match, reads: charCodeAt.mock.calls.length };
  } finally {
    charCodeAt.mockRestore();
  }
}

describe('parameter patterns', () => {
  it('loads the engine only when a pattern is first used', () => {
    expect(resolveParams([{ name: 'n', kind: 'integer' }], { n: 3 }).ok).toBe(true);
    expect(patternEngineLoaded()).toBe(false);
    expect(resolveParams([param('[a-z]+')], { v: 'abc' }).ok).toBe(true);
    expect(patternEngineLoaded()).toBe(true);
  });

  it('answers a backtracking pattern in one pass (27 a and ! blocked V8 for 2.8 s, doubling per a)', () => {
    for (const n of [27, 32, 5_000, 10_000]) {
      const value = `${'a'.repeat(n)}!`;
      expect(resolveParams([param('(a+)+b')], { v: value })).toEqual({
        ok: false,
        reason: 'v must match (a+)+b',
      });
      // Linear: about one read per character. V8's own engine would read none through
      // charCodeAt, a backtracking one in JavaScript exponentially many; both fail here.
      const { match, reads } = measure(compilePattern('(a+)+b'), value);
      expect(match).toBe(false);
      expect(reads).toBeGreaterThanOrEqual(value.length);
      expect(reads).toBeLessThanOrEqual(2 * (value.length + 1));
    }
  });

  it('matches the whole value whatever anchors the author wrote', () => {
    expect(compilePattern('b').test('abc')).toBe(false);
    expect(compilePattern('a|abc').test('abc')).toBe(true);
    expect(compilePattern('^a.c$').test('abc')).toBe(true);
    expect(compilePattern('[a-z]+').test('ab\nc')).toBe(false);
    expect(compilePattern('é.').test('éx')).toBe(true);
  });

  it('refuses what RE2 cannot run, saying why', () => {
    expect(patternProblem('(a)\\1')).toMatch(/RE2 syntax/);
    expect(patternProblem('(?=a)a')).toMatch(/RE2 syntax/);
    expect(patternProblem('(')).toMatch(/missing closing \)/);
    expect(patternProblem('a{2000}')).toMatch(/repeat/);
    expect(resolveParams([param('(a)\\1')], { v: 'aa' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^v has a pattern that cannot be run/),
    });
  });

  it('runs the built-in actions’ patterns as before', () => {
    for (const host of ['web-1', 'example.com', '10.0.0.1', '::1'])
      expect(compilePattern(HOST_PATTERN).test(host)).toBe(true);
    for (const bad of ['-rf', 'a b', '']) expect(compilePattern(HOST_PATTERN).test(bad)).toBe(false);
    expect(compilePattern(UNIT_PATTERN).test('nginx.service')).toBe(true);
    expect(compilePattern(UNIT_PATTERN).test('--now')).toBe(false);
  });

  it('agrees with a regular expression wherever both can run', () => {
    const piece = fc.constantFrom('a', 'b', '.', 'a*', 'b+', '(a|b)', '[ab]', '(ab)?', 'a{1,3}', '\\d', '-');
    const patterns = fc.array(piece, { minLength: 1, maxLength: 6 }).map((ps) => ps.join(''));
    const values = fc
      .array(fc.constantFrom('a', 'b', '1', '-', 'x'), { maxLength: 10 })
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(patterns, values, (pattern, value) => {
        expect(compilePattern(pattern).test(value)).toBe(new RegExp(`^(?:${pattern})$`, 'u').test(value));
      }),
      { numRuns: 3_000 },
    );
  });
});
