/** Upper bounds (seconds) of the ingest-latency histogram buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Counters the gateway keeps for /metrics. Plain numbers: cheap on the hot path. */
export class GatewayStats {
  framesReceived = 0;
  framesRejected = 0;
  snapshotsStored = 0;
  snapshotsDuplicate = 0;
  flushes = 0;
  flushSeconds = 0;
  flushErrors = 0;
  authFailures = 0;
  readonly latencyCounts = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  latencyCount = 0;
  latencySum = 0;

  /** Time from a frame's arrival to its commit. */
  observeLatency(seconds: number): void {
    this.latencyCount++;
    this.latencySum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]!) {
        this.latencyCounts[i]!++;
        break;
      }
    }
  }
}
