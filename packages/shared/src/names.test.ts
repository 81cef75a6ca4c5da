import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkName, cleanName, nameProblem } from './names.ts';

const FORMAT = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
/** Names built from letters, spaces and the characters the rule is about. */
const hostileName = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'w',
        'e',
        'b',
        '1',
        ' ',
        'é',
        'e\u0301',
        'Ａ',
        '\u202e',
        '\u2066',
        '\u200b',
        '\u200d',
        '\u00ad',
      ),
      fc.constantFrom('\u0000', '\n', '\u2028', '\ufeff', '\ud800', '\u061c', '\u200e'),
      fc.string({ unit: 'binary', maxLength: 2 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

describe('the name rule', () => {
  it('names the character it refuses and where', () => {
    expect(nameProblem('web\u202e1')).toBe(
      'must not hold invisible, control or text-direction characters (U+202E at 3)',
    );
    expect(() => checkName('web\u200b1', 'token name')).toThrow(
      'token name must not hold invisible, control or text-direction characters (U+200B at 3)',
    );
    expect(() => checkName('   ')).toThrow('name must not be empty');
    expect(() => checkName('x'.repeat(129))).toThrow('name must be at most 128 characters');
    expect(checkName(' Rene\u0301 ')).toBe('Ren\u00e9');
  });

  it('accepts only NFC names without format or control characters, and cleans any into one', () => {
    fc.assert(
      fc.property(hostileName, (raw) => {
        let accepted: string | undefined;
        try {
          accepted = checkName(raw);
        } catch {
          accepted = undefined;
        }
        if (accepted !== undefined) {
          expect(accepted).toBe(accepted.normalize('NFC'));
          expect(FORMAT.test(accepted)).toBe(false);
          expect(checkName(accepted)).toBe(accepted);
        }
        const cleaned = cleanName(raw);
        if (cleaned !== '') expect(checkName(cleaned)).toBe(cleaned);
      }),
      { numRuns: 5_000 },
    );
  });
});
