/** Areas the agent sends at their own cadence; each keeps the time it was last reported. */
export const AREAS = [
  'net',
  'disks',
  'processes',
  'ports',
  'checks',
  'containers',
  'system',
  'errors',
] as const;
export type Area = (typeof AREAS)[number];

export interface AreaState<T = unknown> {
  ts: number;
  data: T;
}

/** What the collector knows now about one host: the last core numbers plus each area's last report. */
export interface LatestState {
  seq: number | null;
  ts: number;
  /** Metric name → value in its unit (see metric-catalog.ts). */
  metrics: Record<string, number>;
  uptime: number | null;
  cpuCores: number[] | null;
  areas: Partial<Record<Area, AreaState>>;
}
