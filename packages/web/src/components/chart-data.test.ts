import { describe, expect, it } from 'vitest';
import { gapLimit, withGaps } from './chart-data.ts';

describe('withGaps', () => {
  it('breaks the line where points lie more than three typical steps apart', () => {
    // Every 5 s, then an agent away for a minute, then every 5 s again.
    const xs = [0, 5, 10, 15, 75, 80, 85];
    const [x, y] = withGaps(xs, [[1, 2, 3, 4, 5, 6, 7]]);
    expect(x).toEqual([0, 5, 10, 15, 45, 75, 80, 85]);
    expect(y).toEqual([1, 2, 3, 4, null, 5, 6, 7]);
  });

  it('leaves evenly spaced data and very short series alone', () => {
    expect(withGaps([0, 60, 120, 180], [[1, 2, 3, 4]])).toEqual([
      [0, 60, 120, 180],
      [1, 2, 3, 4],
    ]);
    expect(withGaps([0, 1000], [[1, 2]])).toEqual([
      [0, 1000],
      [1, 2],
    ]);
  });

  it('gives the gap limit live points are checked against', () => {
    expect(gapLimit([0, 5, 10, 15, 75])).toBe(15);
    expect(gapLimit([0, 5])).toBeNull();
  });
});
