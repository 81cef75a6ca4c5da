/** Aligned chart columns: x in seconds, then one y column per series (null: no value there). */
export type Columns = [number[], ...(number | null)[][]];

/**
 * Marks gaps: where two neighbouring points lie more than three typical steps apart (an agent
 * that was offline, a host younger than the range), a null point between them breaks the line
 * instead of drawing a straight one across the time nobody measured.
 */
export function withGaps(xs: number[], ys: (number | null)[][]): Columns {
  const limit = gapLimit(xs);
  if (limit === null) return [xs, ...ys];
  const outX: number[] = [xs[0]!];
  const outY = ys.map((col) => [col[0] ?? null]);
  for (let i = 1; i < xs.length; i++) {
    if (xs[i]! - xs[i - 1]! > limit) {
      outX.push((xs[i]! + xs[i - 1]!) / 2);
      for (const col of outY) col.push(null);
    }
    outX.push(xs[i]!);
    for (const [c, col] of outY.entries()) col.push(ys[c]![i] ?? null);
  }
  return [outX, ...outY];
}

/** The distance beyond which two neighbouring points are a gap: three typical (median) steps; null under three points. */
export function gapLimit(xs: readonly number[]): number | null {
  if (xs.length < 3) return null;
  const steps = xs
    .slice(1)
    .map((x, i) => x - xs[i]!)
    .sort((a, b) => a - b);
  return 3 * steps[Math.floor(steps.length / 2)]!;
}
