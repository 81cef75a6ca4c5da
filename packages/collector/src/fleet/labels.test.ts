import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveTargets } from '../jobs/targets.ts';
import type { Host } from '../store/hosts.ts';
import { checkLabels } from './labels.ts';

const accepted = (labels: Record<string, string>): boolean => {
  try {
    checkLabels(labels);
    return true;
  } catch {
    return false;
  }
};

/** Keys and values from the characters that matter: separators, spaces, invisible ones. */
const text = fc
  .array(
    fc.constantFrom('a', 'B', '1', '-', '.', '_', ',', '=', ' ', '\t', 'é', '\u200b', '\u202e', '"', '*'),
    {
      maxLength: 8,
    },
  )
  .map((cs) => cs.join(''));

const key = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/) },
  { weight: 1, arbitrary: text },
);

describe('labels', () => {
  it('selects every accepted label set with the selector written from it, and nothing else', () => {
    let seen = 0;
    fc.assert(
      fc.property(
        fc.dictionary(key, text, { minKeys: 1, maxKeys: 4 }),
        fc.oneof(text, fc.string()),
        (labels, other) => {
          if (!accepted(labels)) return;
          seen++;
          const selector = Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',');
          const hosts = [
            { id: 1, name: 'a', labels } as unknown as Host,
            {
              id: 2,
              name: 'b',
              labels: { ...labels, [Object.keys(labels)[0]!]: `${other}x` },
            } as unknown as Host,
          ];
          expect(resolveTargets({ selector }, hosts).map((h) => h.id)).toEqual([1]);
        },
      ),
      { numRuns: 3_000 },
    );
    expect(seen).toBeGreaterThan(100);
  });

  it('refuses values a selector cannot name, saying why', () => {
    expect(() => checkLabels({ env: 'a,b=c' })).toThrow(
      'label env: "a,b=c" cannot be selected; a label value has no "," or "=", no control or invisible characters, and no spaces at either end',
    );
    expect(() => checkLabels({ env: '' })).not.toThrow();
    expect(() => checkLabels({ env: 'eu west' })).not.toThrow();
  });
});
