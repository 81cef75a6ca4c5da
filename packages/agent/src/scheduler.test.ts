import { describe, expect, it } from 'vitest';
import { FakeTime } from '../../../test/support/fake-time.ts';
import { Scheduler } from './scheduler.ts';

/** Lets the scheduler's async tick finish and re-arm (microtasks only; no time passes). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function scheduler(intervalMs: number, tick: (at: number) => Promise<void> | void = () => {}) {
  const time = new FakeTime(0);
  const ticks: number[] = [];
  const s = new Scheduler(
    intervalMs,
    async () => {
      ticks.push(time.now());
      await tick(time.now());
    },
    { monotonic: time.now, timers: time.timers },
  );
  /** Moves fake time one step and lets a tick due by then run. */
  const advance = async (ms: number) => {
    time.advance(ms);
    await settle();
  };
  return { s, time, ticks, advance };
}

describe('Scheduler (fake time)', () => {
  it('ticks on a fixed grid, the first one interval after start', async () => {
    const { s, ticks, advance } = scheduler(1_000);
    s.start();
    await advance(999);
    expect(ticks).toEqual([]);
    await advance(1);
    for (let i = 0; i < 3; i++) await advance(1_000);
    expect(ticks).toEqual([1_000, 2_000, 3_000, 4_000]);
    await s.stop();
  });

  it('skips the slots a slow tick overran instead of bunching up', async () => {
    let release: () => void = () => {};
    const { s, ticks, advance } = scheduler(1_000, (at) =>
      at === 1_000 ? new Promise<void>((resolve) => (release = resolve)) : undefined,
    );
    s.start();
    await advance(1_000);
    await advance(2_500); // the tick at 1 s runs until 3.5 s: the slots at 2 s and 3 s are gone
    release();
    await settle();
    await advance(499);
    expect(ticks).toEqual([1_000]);
    await advance(1);
    expect(ticks).toEqual([1_000, 4_000]);
    await s.stop();
  });

  it('takes a new interval from now, and an extra tick leaves the grid alone', async () => {
    const { s, ticks, advance } = scheduler(1_000);
    s.start();
    await advance(1_000);
    await advance(200);
    s.setInterval(5_000);
    await advance(4_999);
    expect(ticks).toEqual([1_000]);
    await advance(1);
    expect(ticks).toEqual([1_000, 6_200]);
    await advance(1_000);
    s.fireNow();
    await settle();
    await advance(4_000);
    expect(ticks).toEqual([1_000, 6_200, 7_200, 11_200]);
    await s.stop();
  });

  it('leaves no timer behind once stopped', async () => {
    const { s, time, ticks, advance } = scheduler(1_000);
    s.start();
    await advance(1_000);
    await s.stop();
    expect(time.pending).toBe(0);
    await advance(10_000);
    expect(ticks).toEqual([1_000]);
  });
});
