import type {
  Cpu,
  DiskIo,
  Load,
  Memory,
  NetInterface,
  Snapshot,
  Swap,
  SystemInfo,
} from '@pantau/shared/lite';
import {
  type AgentTime,
  monotonicMs,
  systemTimers,
  type Timers,
  type WallClock,
  wallClock,
} from './clock.ts';
import { runChecks } from './collectors/checks.ts';
import { ContainerCollector } from './collectors/containers.ts';
import { CpuCollector } from './collectors/cpu.ts';
import { DiskIoCollector } from './collectors/diskio.ts';
import { collectDisks } from './collectors/disks.ts';
import { collectLoad } from './collectors/load.ts';
import { collectMemory } from './collectors/memory.ts';
import { NetworkCollector } from './collectors/network.ts';
import { PortCollector } from './collectors/ports.ts';
import { ProcessCollector } from './collectors/processes.ts';
import { setRoots } from './collectors/procfs.ts';
import { collectSystem } from './collectors/system.ts';
import { collectUptime } from './collectors/uptime.ts';
import type { AgentConfig, Cadences } from './config/types.ts';
import { ErrorTracker } from './errors.ts';
import type { Log as Logger } from './log.ts';

/** A snapshot before the outbox gives it a sequence number. */
export type SnapshotBody = Omit<Snapshot, 'seq' | 'dropped'>;

type HeavyName = keyof Cadences;
type HeavyResult = Partial<
  Pick<Snapshot, 'disks' | 'processes' | 'ports' | 'checks' | 'containers' | 'system'>
>;

/**
 * Takes snapshots: the core numbers (CPU, load, memory, disk I/O, network, uptime) every time,
 * the heavier parts when their cadence is due. Every collector is isolated: a failure becomes
 * an entry in `errors` (once per change) and the rest of the snapshot goes on.
 */
export class Sampler {
  readonly #config: AgentConfig;
  readonly #errors: ErrorTracker;
  readonly #cpu?: CpuCollector;
  readonly #net?: NetworkCollector;
  readonly #diskIo?: DiskIoCollector;
  readonly #processes = new ProcessCollector();
  readonly #ports = new PortCollector();
  readonly #containers: ContainerCollector;
  readonly #heavy: Record<HeavyName, () => Promise<HeavyResult>>;
  readonly #due = new Map<HeavyName, number>();
  readonly #running = new Set<HeavyName>();
  #pending: HeavyResult = {};
  #system: SystemInfo | undefined;
  /** Last known up/down of each check, to notice a change. */
  readonly #checkState = new Map<string, boolean>();
  #onUrgent: () => void = () => {};
  #checkTimer: unknown;
  readonly #timers: Timers;
  readonly #now: WallClock;
  readonly #monotonic: () => number;
  #nextCheckMs = 0;
  #checksUrgent = false;
  /** A container event asked for a report: list and inspect, no stats round. */
  #containerEvent = false;
  /** An event-driven container report waits for the round in flight. */
  #containersQueued = false;
  /** The next event-driven round after Docker was slow to answer. */
  #containerRetry: unknown;
  #followingContainers = false;
  readonly #inflight = new Map<HeavyName, Promise<boolean>>();

  /**
   * `timers`: of the service checks' own schedule, their deadlines, the wait in take() and
   * Docker's retries; `now`: the snapshots' wall clock; `monotonic`: the heavy collectors'
   * cadences. Default the real ones.
   */
  constructor(config: AgentConfig, log: Logger, options: Partial<AgentTime> = {}) {
    this.#config = config;
    this.#timers = options.timers ?? systemTimers;
    this.#now = options.now ?? wallClock;
    this.#monotonic = options.monotonic ?? monotonicMs;
    setRoots({ proc: config.procRoot, sys: config.sysRoot });
    this.#errors = new ErrorTracker(log);
    this.#cpu = this.#guard('cpu', () => new CpuCollector());
    this.#net = this.#guard('net', () => new NetworkCollector());
    this.#diskIo = this.#guard('diskIo', () => new DiskIoCollector());
    this.#containers = new ContainerCollector(config.dockerSocket, { now: this.#now, timers: this.#timers });
    this.#heavy = {
      processes: async () => ({ processes: this.#processes.collect() }),
      ports: async () => ({ ports: this.#ports.collect() }),
      disks: async () => {
        const { disks, error } = await collectDisks(this.#timers);
        if (error) throw new Error(error);
        return { disks };
      },
      system: async () => {
        this.#diskIo?.refreshDevices(); // hot-plugged disks join at the system cadence
        this.#system = await collectSystem();
        return { system: this.#system };
      },
      checks: async () => {
        if (config.checks.length === 0) return {};
        const checks = await runChecks(config.checks, this.#timers);
        this.#afterChecks(checks);
        return { checks };
      },
      containers: async () => {
        const containers = await this.#containers.collect({ stats: !this.#containerEvent });
        return containers === undefined ? {} : { containers };
      },
    };
  }

  /** The latest system info, collected on first use. */
  async system(): Promise<SystemInfo> {
    if (!this.#system) await this.#runHeavy('system');
    this.#system ??= await collectSystem();
    return this.#system;
  }

  /**
   * Called when check results should not wait for the next snapshot: a check changed state, or
   * a failure is being confirmed. The collector counts consecutive failures, so both matter.
   */
  onUrgent(fn: () => void): void {
    this.#onUrgent = fn;
  }

  /**
   * Runs the service checks on their own timer (every `cadences.checks`, or `checkRetry` after a
   * check went down), so a failure is confirmed and reported within seconds, not snapshots.
   */
  startChecks(): void {
    if (this.#config.checks.length === 0 || this.#checkTimer !== undefined) return;
    const run = async () => {
      await this.#runHeavy('checks');
      if (this.#checkTimer === undefined) return;
      // Only now is the result pending, so the snapshot this asks for carries it.
      if (this.#checksUrgent) this.#onUrgent();
      this.#checkTimer = this.#timers.setTimeout(run, this.#nextCheckMs);
    };
    this.#checkTimer = this.#timers.setTimeout(run, 0);
  }

  stopChecks(): void {
    this.#timers.clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
  }

  /** Follows Docker's container events: a state change rides in a snapshot at once, not at the cadence. */
  followContainers(): void {
    this.#followingContainers = true;
    this.#containers.follow(() => void this.#containersNow());
  }

  unfollowContainers(): void {
    this.#followingContainers = false;
    this.#containers.unfollow();
    this.#timers.clearTimeout(this.#containerRetry);
  }

  async #containersNow(): Promise<void> {
    if (this.#containersQueued) return; // the queued round lists after this event too
    this.#containersQueued = true;
    // A round in flight may have listed the containers before the event: wait, then list again.
    while (this.#inflight.has('containers')) await this.#inflight.get('containers');
    this.#containersQueued = false;
    this.#containerEvent = true;
    const failed = await this.#runHeavy('containers');
    this.#containerEvent = false;
    this.#onUrgent();
    // Docker slow to answer (a busy host): the news must not wait for the next cadence.
    // Not after unfollowContainers(): a stopping agent schedules nothing more.
    if (failed && this.#followingContainers)
      this.#containerRetry = this.#timers.setTimeout(() => void this.#containersNow(), 1_000);
  }

  /** Makes a heavy collector run at the next snapshot (system info after each connect). */
  markDue(name: HeavyName): void {
    this.#due.set(name, 0);
  }

  /**
   * One snapshot. Due heavy collectors start first; those done within `waitMs` ride in this
   * snapshot, slower ones (checks waiting on timeouts, Docker) in a later one.
   */
  async take(waitMs: number): Promise<SnapshotBody> {
    // The tick's time: the process and port scans below run synchronously and may take a while.
    const ts = this.#now();
    const now = this.#monotonic();
    const started: Promise<boolean>[] = [];
    for (const name of Object.keys(this.#heavy) as HeavyName[]) {
      if (name === 'checks' && this.#checkTimer !== undefined) continue; // on their own timer
      if (this.#running.has(name) || now < (this.#due.get(name) ?? 0)) continue;
      this.#due.set(name, now + this.#config.cadences[name]);
      started.push(this.#runHeavy(name));
    }
    const core = this.#core();
    if (started.length > 0) {
      let timer: unknown;
      await Promise.race([
        Promise.all(started),
        new Promise<void>((resolve) => {
          timer = this.#timers.setTimeout(resolve, waitMs);
        }),
      ]);
      this.#timers.clearTimeout(timer);
    }
    const body: SnapshotBody = { ts, ...core, ...this.#pending };
    this.#pending = {};
    const errors = this.#errors.take();
    if (errors) body.errors = errors;
    return body;
  }

  #afterChecks(checks: readonly NonNullable<Snapshot['checks']>[number][]): void {
    let changed = false;
    for (const check of checks) {
      const before = this.#checkState.get(check.name);
      // Unknown → down counts as a change (a check failing from the start); unknown → up does not.
      if (before !== check.ok && (before !== undefined || !check.ok)) changed = true;
      this.#checkState.set(check.name, check.ok);
    }
    const failing = checks.some((c) => !c.ok);
    // A fresh failure is confirmed by a quick second run instead of a full cadence later.
    this.#nextCheckMs = changed && failing ? this.#config.checkRetryMs : this.#config.cadences.checks;
    this.#checksUrgent = changed || failing;
  }

  /** Runs one heavy collector; resolves true when it failed. */
  #runHeavy(name: HeavyName): Promise<boolean> {
    this.#running.add(name);
    const run = (async () => {
      try {
        const result = await this.#heavy[name]();
        Object.assign(this.#pending, result);
        this.#errors.ok(name);
        return false;
      } catch (err) {
        this.#errors.fail(name, err);
        return true;
      } finally {
        this.#running.delete(name);
        this.#inflight.delete(name);
      }
    })();
    this.#inflight.set(name, run);
    return run;
  }

  #core(): Pick<Snapshot, 'uptime' | 'cpu' | 'load' | 'memory' | 'swap' | 'diskIo' | 'net'> {
    const mem = this.#guard('memory', collectMemory);
    const diskIo = this.#diskIo && this.#guard('diskIo', () => this.#diskIo?.collect() as DiskIo);
    return {
      uptime: this.#guard('uptime', collectUptime) ?? 0,
      cpu: (this.#cpu && this.#guard('cpu', () => this.#cpu?.collect() as Cpu)) ?? NO_CPU,
      load: this.#guard('load', collectLoad) ?? NO_LOAD,
      memory: mem?.memory ?? NO_MEMORY,
      swap: mem?.swap ?? NO_SWAP,
      ...(diskIo ? { diskIo } : {}),
      net: (this.#net && this.#guard('net', () => this.#net?.collect() as NetInterface[])) ?? [],
    };
  }

  #guard<T>(name: string, fn: () => T): T | undefined {
    try {
      const value = fn();
      this.#errors.ok(name);
      return value;
    } catch (err) {
      this.#errors.fail(name, err);
      return undefined;
    }
  }
}

const NO_CPU: Cpu = { total: 0, user: 0, system: 0, iowait: 0, steal: 0, cores: [] };
const NO_LOAD: Load = { l1: 0, l5: 0, l15: 0 };
const NO_MEMORY: Memory = { total: 0, used: 0, available: 0, buffers: 0, cached: 0 };
const NO_SWAP: Swap = { total: 0, used: 0 };
