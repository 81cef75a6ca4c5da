// The one place the collector reads the wall clock and arms timers. Modules with timed behaviour
// take a `Time` (or its parts) from the composition root, so tests can pass fake time.

/** Epoch milliseconds now. */
export type Clock = () => number;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A clock and the timers that go with it. */
export interface Time {
  now: Clock;
  timers: Timers;
}

export const systemClock: Clock = () => Date.now();

/** The global timers; a pending one keeps the process alive. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The global timers, not keeping the process alive (housekeeping that must not hold up an exit). */
export const unrefTimers: Timers = {
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

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
