// Host name globs (`web-*`, `db-?`) matched without backtracking. A regular expression built from
// a glob backtracks: `*?*?*?*?*?*?*?*?*?*?*?*?Z` against a 45-character name took 88 s in V8. Here
// the glob is cut at its stars into literal pieces (where `?` is any one character); the first
// piece must sit at the start, the last at the end, and each piece between takes its leftmost place
// after the one before. Leftmost is always right for a glob (a later place only leaves less room
// for the pieces after it), so no choice is ever undone: at most one pass over the name per piece,
// O(name × glob) steps whatever the shape. Runs of stars collapse into one.

export interface GlobOptions {
  /** `?` stands for any one character (true, the default) or only for itself. */
  anyChar?: boolean;
}

export interface Glob {
  readonly source: string;
  /** Does the whole name match? */
  test(name: string): boolean;
  /** The match and how many character comparisons it took (the property tests bound these). */
  measure(name: string): { match: boolean; steps: number };
}

/** A glob ready to match many names. */
export function compileGlob(source: string, options: GlobOptions = {}): Glob {
  const anyChar = options.anyChar ?? true;
  // Code points, so `?` takes one character even outside the Basic Multilingual Plane.
  const pieces = source.split('*').map((piece) => [...piece]);
  const starred = pieces.length > 1;
  const measure = (text: string) => {
    const name = [...text];
    let steps = 0;
    /** Does `piece` sit at `at`? */
    const fits = (piece: string[], at: number): boolean => {
      for (let i = 0; i < piece.length; i++) {
        steps++;
        const want = piece[i];
        if (want !== name[at + i] && !(anyChar && want === '?')) return false;
      }
      return true;
    };
    const first = pieces[0] ?? [];
    if (!starred) return { match: name.length === first.length && fits(first, 0), steps };
    const last = pieces[pieces.length - 1] ?? [];
    if (first.length + last.length > name.length) return { match: false, steps };
    if (!fits(first, 0) || !fits(last, name.length - last.length)) return { match: false, steps };
    let at = first.length;
    const end = name.length - last.length;
    for (let p = 1; p < pieces.length - 1; p++) {
      const piece = pieces[p] ?? [];
      if (piece.length === 0) continue; // `**`
      let found = -1;
      for (let start = at; start + piece.length <= end; start++) {
        if (fits(piece, start)) {
          found = start;
          break;
        }
      }
      if (found < 0) return { match: false, steps };
      at = found + piece.length;
    }
    return { match: true, steps };
  };
  return { source, test: (name) => measure(name).match, measure };
}

/** Does the whole name match the glob? */
export function globMatch(glob: string, name: string, options?: GlobOptions): boolean {
  return compileGlob(glob, options).test(name);
}

/** Does the text use glob syntax at all (otherwise it is a plain name)? */
export function isGlob(text: string): boolean {
  return /[*?]/.test(text);
}
