import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOST_PATTERN, resolveParams, UNIT_PATTERN } from './actions.ts';
import type { ActionParam } from './frames.ts';
import { compilePattern, patternEngineLoaded, patternProblem } from './pattern.ts';

const param = (pattern: string): ActionParam => ({ name: 'v', kind: 'regex', pattern });

describe('parameter patterns', () => {
  it('loads the engine only when a pattern is first used', () => {
    expect(resolveParams([{ name: 'n', kind: 'integer' }], { n: 3 }).ok).toBe(true);
    expect(patternEngineLoaded()).toBe(false);
    expect(resolveParams([param('[a-z]+')], { v: 'abc' }).ok).toBe(true);
    expect(patternEngineLoaded()).toBe(true);
  });

  it('answers a backtracking pattern at once (27 a and ! blocked V8 for 2.8 s, doubling per a)', () => {
    const started = performance.now();
    for (const n of [27, 32, 5_000]) {
      expect(resolveParams([param('(a+)+b')], { v: `${'a'.repeat(n)}!` })).toEqual({
        ok: false,
        reason: 'v must match (a+)+b',
      });
    }
    // Generous: re2js needs about a millisecond for all three.
    expect(performance.now() - started).toBeLessThan(2_000);
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
