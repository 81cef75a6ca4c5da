import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, globMatch } from './glob.ts';

/** The reference: a regular expression, fine for the short names it is given here. */
function reference(glob: string, name: string, anyChar = true): boolean {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' && anyChar ? '.' : c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'su').test(name);
}

const alphabet = fc.constantFrom('a', 'b', '-', '*', '?', '.', 'é');
const globs = fc.array(alphabet, { maxLength: 12 }).map((cs) => cs.join(''));
const names = fc
  .array(fc.constantFrom('a', 'b', '-', '.', 'é', '?', '*'), { maxLength: 14 })
  .map((cs) => cs.join(''));

describe('globs', () => {
  it.each([
    ['web-*', 'web-1', true],
    ['web-*', 'db-1', false],
    ['*', '', true],
    ['', '', true],
    ['db-?', 'db-1', true],
    ['db-?', 'db-12', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*-1', 'web-1', true],
    ['w**1', 'web-1', true],
    ['web.*', 'webXtest', false],
  ])('%s against %s: %s', (glob, name, expected) => {
    expect(globMatch(glob, name)).toBe(expected);
  });

  it('takes ? literally when asked', () => {
    expect(globMatch('db-?', 'db-1', { anyChar: false })).toBe(false);
    expect(globMatch('db-?', 'db-?', { anyChar: false })).toBe(true);
  });

  it('agrees with a regular expression on every small shape', () => {
    fc.assert(
      fc.property(globs, names, fc.boolean(), (glob, name, anyChar) => {
        expect(globMatch(glob, name, { anyChar })).toBe(reference(glob, name, anyChar));
      }),
      { numRuns: 5_000 },
    );
  });

  it('needs at most name × glob steps for every shape against long names', () => {
    const longName = fc
      .array(fc.constantFrom('a', 'b', '-', '0', '1'), { minLength: 200, maxLength: 255 })
      .map((cs) => cs.join(''));
    const hostileGlob = fc
      .array(fc.constantFrom('*', '?', 'a', 'b', '-', '0', 'Z', '*?', 'a*'), { minLength: 1, maxLength: 64 })
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(hostileGlob, longName, (glob, name) => {
        const { steps } = compileGlob(glob).measure(name);
        expect(steps).toBeLessThanOrEqual((name.length + 1) * (glob.length + 1));
      }),
      { numRuns: 2_000 },
    );
    const { match, steps } = compileGlob('*?*?*?*?*?*?*?*?*?*?*?*?Z').measure(
      'web-prod-eu-west-1-frontend-node-0000000001',
    );
    expect(match).toBe(false);
    expect(steps).toBeLessThan(50);
  });
});
