import { systemTimers, type Timers } from '@pantau/shared/lite';

/**
 * Milliseconds on the monotonic clock, as performance.now() gives them: the global `performance`
 * loads Node's perf_hooks (~1.2 MB of the agent's memory budget) on first use; process.hrtime does not.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export { systemTimers, type Timers, unrefTimers } from '@pantau/shared/lite';

/** Milliseconds since the epoch: the timestamps the collector and people read. */
export type WallClock = () => number;

export const wallClock: WallClock = () => Date.now();

/**
 * The time a module with timed behaviour is given: the wall clock for timestamps, the monotonic
 * clock for intervals and deadlines, and the timers. Tests pass one fake time for all three.
 */
export interface AgentTime {
  now: WallClock;
  monotonic: () => number;
  timers: Timers;
}

/** The real clocks and the global timers (a pending timer keeps the process alive). */
export const systemTime: AgentTime = { now: wallClock, monotonic: monotonicMs, timers: systemTimers };

/** Calls `tick` every `ms` on the given timers until the returned stop is called. */
export function every(timers: Timers, ms: number, tick: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const arm = () => {
    handle = timers.setTimeout(() => {
      if (stopped) return;
      arm();
      tick();
    }, ms);
  };
  arm();
  return () => {
    stopped = true;
    timers.clearTimeout(handle);
  };
}
