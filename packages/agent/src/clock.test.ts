import { describe, expect, it } from 'vitest';
import { FakeTime } from '../../../test/support/fake-time.ts';
import { every } from './clock.ts';

describe('every (fake time)', () => {
  it('ticks every interval until stopped, also when stopped from inside a tick', () => {
    const time = new FakeTime(0);
    const ticks: number[] = [];
    const stop = every(time.timers, 1_000, () => {
      ticks.push(time.now());
      if (ticks.length === 3) stop();
    });
    time.advance(999);
    expect(ticks).toEqual([]);
    time.advance(10_000);
    expect(ticks).toEqual([1_000, 2_000, 3_000]);
    expect(time.pending).toBe(0);
  });
});
