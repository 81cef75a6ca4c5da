/**
 * Milliseconds on the monotonic clock, as performance.now() gives them: the global `performance`
 * loads Node's perf_hooks (~1.2 MB of the agent's memory budget) on first use; process.hrtime does not.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
