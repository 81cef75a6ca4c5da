// The real timers, in one place for both processes: the collector's and the agent's clock
// modules (src/clock.ts) hand them to every module with timed behaviour; tests pass fake ones.

/** Timer functions; modules with timed behaviour take them, so tests can pass fake time. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

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
