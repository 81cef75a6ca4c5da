// The one place the collector reads the wall clock and arms timers. Modules with timed behaviour
// take a `Time` (or its parts) from the composition root, so tests can pass fake time.

import { type Timers, unrefTimers } from '@pantau/shared';

export { systemTimers, type Timers, unrefTimers } from '@pantau/shared';

/** Epoch milliseconds now. */
export type Clock = () => number;

/** A clock and the timers that go with it. */
export interface Time {
  now: Clock;
  timers: Timers;
}

export const systemClock: Clock = () => Date.now();

export const systemTime: Time = { now: systemClock, timers: unrefTimers };

/**
 * Calls `fn` every `ms` until the returned function is called. Each run is armed after the last
 * one returned, so a slow run delays the next rather than piling up.
 */
export function every(timers: Timers, ms: number, fn: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const arm = () => {
    handle = timers.setTimeout(() => {
      if (stopped) return;
      try {
        fn();
      } finally {
        if (!stopped) arm();
      }
    }, ms);
  };
  arm();
  return () => {
    stopped = true;
    timers.clearTimeout(handle);
  };
}

/** Resolves after `ms` on the given timers. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
