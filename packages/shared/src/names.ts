// One rule for every name a person reads (hosts, activities, users, tokens, sinks, Telegram
// names): NFC, so one spelling is one name; and nothing that is not seen or that reorders what is
// seen. `web\u202e1` (right-to-left override) reached an admin's approval request reversed, and
// `web\u200b1` (zero-width space) looks like `web1` but is another name.
import { PantauError } from './errors.ts';

/**
 * Control characters (Cc), format characters (Cf: the bidi controls U+202A-202E and
 * U+2066-2069, the marks U+200E/U+200F, zero-width space, joiners, U+FEFF...), line and
 * paragraph separators, and lone surrogates.
 */
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNSEEN_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** Why this text cannot be a name, or null. The text is taken as given (trim and NFC first). */
export function nameProblem(name: string, max = 128): string | null {
  if (name.length === 0) return 'must not be empty';
  if ([...name].length > max) return `must be at most ${max} characters`;
  const unseen = UNSEEN.exec(name);
  if (unseen) {
    const code = unseen[0].codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0');
    return `must not hold invisible, control or text-direction characters (U+${code} at ${unseen.index})`;
  }
  return null;
}

/** The name as stored: trimmed and NFC. Throws VALIDATION_FAILED naming `what` and the problem. */
export function checkName(name: string, what = 'name', max = 128): string {
  const clean = name.trim().normalize('NFC');
  const problem = nameProblem(clean, max);
  if (problem) throw new PantauError('VALIDATION_FAILED', `${what} ${problem}`);
  return clean;
}

/** For names nobody typed for us (a Telegram first name): drop what the rule refuses. */
export function cleanName(name: string, max = 128): string {
  return [...name.replace(UNSEEN_ALL, '').trim().normalize('NFC')].slice(0, max).join('').trim();
}

/**
 * What a name looks like, for telling look-alikes apart: compatibility-folded (NFKC: full-width
 * `ＷＥＢ1` is `WEB1`, `ﬁ` is `fi`) and case-folded. Two names with the same key read as one.
 */
export function nameLook(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}
